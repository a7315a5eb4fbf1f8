"""The report of the cmtj cross-check: its Markdown section of benchmarks/README.md,
rendered from the results JSON of ``cmtj_crosscheck.py`` (which runs the two codes)."""


def report(res: dict) -> str:
    m, d, c = res["machine"], res["derived"], res["checks"]
    rows = res["comparison"]
    sj, cm = res["spinjax"], res["cmtj"]
    lines = [
        f"Measured {m['date']} ({m['mode']} mode, {m['total_s']:.0f} s in all) on "
        f"{m['cpu']}, {m['cores']} cores, {m['platform']}; jax {m['jax']}, "
        f"diffrax {m['diffrax']}, cmtj {m['cmtj']}. spinjax: {m['spinjax_start']}.",
        "",
        f"One perpendicular STT MTJ at 300 K (Ms = 1.0e6 A/m, t_F = 1.3 nm, 45 nm disk, "
        f"alpha = 0.02, K_u = 6.85e5 J/m^3, N = (0.0235, 0.0235, 0.953): "
        f"H_K,eff = {d['H_K_eff_A_per_m']:.3g} A/m, Delta = {d['Delta']:.1f}; P = 0.6, "
        f"p = +z; J_c0 = {d['J_c0_A_per_m2']:.3g} A/m^2), m from +z, 3 ns at rest, then a "
        f"2 ns current pulse (20 ps edges), switched if m_z < 0 at 8 ns; Heun, dt = 1 ps. "
        f"See `cmtj_crosscheck.py` for the convention mapping.",
        "",
        "| J (A/m^2) | J/J_c0 | spinjax P_sw [95 % CI] | n | cmtj P_sw [95 % CI] | n | z |",
        "|---:|---:|---|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['J_A_per_m2']:.2e} | {r['J_A_per_m2'] / d['J_c0_A_per_m2']:.2f} | "
            f"{r['spinjax_P']:.3f} [{r['spinjax_wilson95'][0]:.3f}, "
            f"{r['spinjax_wilson95'][1]:.3f}] | {sj['n']} | {r['cmtj_P']:.3f} "
            f"[{r['cmtj_wilson95'][0]:.3f}, {r['cmtj_wilson95'][1]:.3f}] | {cm['n']} | "
            f"{r['z']:+.2f} |")
    verdict = ("**agree within 3 sigma at every amplitude**" if res["agree"]
               else "**do NOT agree within 3 sigma**")
    tr, th, tv = c["trajectories"], c["threshold"], c["thermal_variance"]
    lines += [
        "",
        f"spinjax and cmtj {verdict} (max |z| = "
        f"{max(abs(r['z']) for r in rows):.2f}).",
        "",
        f"Runtimes: spinjax {sj['wall_s']:.1f} s for {len(rows)} x {sj['n']} junctions "
        f"in one call, float32, compilation included ({sj['junction_steps_per_s']:.2e} "
        f"junction-steps/s); cmtj {cm['wall_s']:.1f} s for {len(rows)} x {cm['n']} "
        f"trajectories in {cm['workers']} process(es), float64 "
        f"({cm['ms_per_trajectory']:.2f} ms per 8000-step trajectory).",
        "",
        "Alignment before the noise (T = 0, m0 tilted 0.1 rad):",
        "",
        f"- final m after the protocol at J = 0, the three amplitudes and -1.3e11 A/m^2 "
        f"(the only one that switches at T = 0): max |m_spinjax - "
        f"m_cmtj| = {tr['matched_beta_alpha']['max_abs_dm']:.1e} with cmtj's beta = alpha "
        f"(the mapping of spinjax's Gilbert-form STT), "
        f"{tr['unmatched_beta_0']['max_abs_dm']:.1e} with beta = 0;",
        f"- Sun's J_c0: -0.9 J_c0 keeps m_z > 0 and -1.1 J_c0 switches within 60 ns in both "
        f"codes: {'yes' if c['sun']['ok'] else 'NO'};",
        f"- switching threshold of the pulse by bisection: spinjax "
        f"{th['spinjax']:.6e}, cmtj {th['cmtj']:.6e} A/m^2 ({th['J_over_Jc0']:.3f} J_c0; "
        f"relative difference {th['relative_difference']:.1e}, bisection resolution "
        f"{th['relative_resolution']:.0e});",
        f"- thermal one-step variance of m_x over its 2-alpha prediction "
        f"(n = {tv['n']}, sampling sigma {tv['sampling_rel_sigma']:.3f}): spinjax "
        f"{tv['spinjax_ratio']:.3f}, cmtj {tv['cmtj_ratio']:.3f} (4 alpha would give 2).",
    ]
    return "\n".join(lines)
