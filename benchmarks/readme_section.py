"""The one way benchmark scripts write their section of benchmarks/README.md."""

from pathlib import Path


def replace_section(path: Path, start: str, end: str, section: str, intro: str) -> None:
    """Put `section` between the `start` and `end` markers of `path`. If the markers are
    absent, first append `intro` (a heading and how to run the script) and the markers;
    a missing README is created. Text outside the markers is kept as it is."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start not in text:
        text = text.rstrip("\n") + "\n\n" + intro.strip("\n") + f"\n\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    path.write_text(f"{head}{start}\n{section}\n{end}{tail}")


def publish(here: Path, stem: str, platform: str, data: dict, text: str, title: str) -> None:
    """Write `data` to ``results/<stem>[_gpu].json`` and `text` between the
    ``<stem>[_gpu]`` markers of ``README.md`` (a new section headed `title` and the
    command that made it, if the markers are absent)."""
    import json
    name = stem + ("_gpu" if platform == "gpu" else "")
    (here / "results" / f"{name}.json").write_text(json.dumps(data, indent=1))
    replace_section(here / "README.md", f"<!-- {name} -->", f"<!-- /{name} -->", text,
                    f"## {title} ({platform.upper()})\n\n"
                    f"`python benchmarks/{stem}.py --platform {platform}`")
