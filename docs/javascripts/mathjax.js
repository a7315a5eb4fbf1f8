// MathJax settings, as in Material's docs: pymdownx.arithmatex (generic mode) wraps the
// docstrings' and pages' maths in \(...\) and \[...\] inside class "arithmatex"; the
// notebooks' markdown cells (class "jp-RenderedMarkdown") keep their $...$.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown"
  }
};

document$.subscribe(() => {
  MathJax.startup.output.clearCache()
  MathJax.typesetClear()
  MathJax.texReset()
  MathJax.typesetPromise()
})
