"""The green pattern of each HPA class, drawn relative to a :class:`~._field.Field`.

Each pattern takes the field and returns a float image in [0, ~1] (before the
cell-to-cell expression and the image brightness are applied); random choices come
from the field's generator (``field.rng``). Sizes are px at 512 (scaled by
``field.s``). The ER and microtubule patterns are also the yellow and red reference
channels, so a protein of those classes copies the reference stain. See
``docs/synthetic_data.rst`` for a table of the patterns.
"""

import numpy as np

from ._textures import ridges, smooth_noise


def _nucleoplasm(f):
    tex = 0.75 + 0.25 * smooth_noise(f.rng, (f.size, f.size), 2 * f.s + 0.5)
    return f.nuc * np.clip(tex, 0, None) * (1 - 0.6 * f.nucleoli_map)


def _nuclear_membrane(f):
    w = max(2.0 * f.s, 0.8) / f.nuc_px
    return f.inside * np.exp(-(((f.rn - 0.97) / w) ** 2))


def _nucleoli(f):
    return f.nucleoli_map


def _fibrillar_center(f):
    pts = []
    for x, y, r in f.nucleoli:
        for _ in range(f.rng.integers(2, 6)):
            pts.append((x + f.rng.normal(0, r * 0.4), y + f.rng.normal(0, r * 0.4), 1.0 * f.s))
    if not pts:
        return np.zeros((f.size, f.size), np.float32)
    return f._discs(np.array(pts, np.float32)) * f.nuc


def _speckles(f):
    n_nuc = max(int((f.kind == 0).sum()), 1)
    region = f.nuc & (f.nucleoli_map < 0.2)
    mottle = smooth_noise(f.rng, (f.size, f.size), 1.5 * f.s + 0.4) > -0.3
    return f.spots(region, n_nuc * f.rng.integers(20, 50), 2.0 * f.s) * mottle


def _nuclear_bodies(f):
    n_nuc = max(int((f.kind == 0).sum()), 1)
    region = f.nuc & (f.nucleoli_map < 0.2)
    return f.spots(region, n_nuc * f.rng.integers(3, 15), 1.4 * f.s, amp=(0.9, 1.0))


def endoplasmic_reticulum(f):
    """The ER, a reticular fill densest around the nucleus, with a nuclear rim.

    Also the yellow reference channel: an ER protein's green copies it.
    """
    density = np.exp(-np.clip(f.rn - 1.0, 0, None) * 1.2)
    rim = np.exp(-(((f.rn - 1.05) / 0.12) ** 2))
    return f.inside * (
        f.cyto * (0.1 + 0.9 * f.er_network) * (0.4 + 0.6 * density) + 0.8 * rim + 0.1 * f.nuc
    )


def microtubules(f):
    """Microtubules filling the cytoplasm, a fine network plus fibres from the MTOC.

    Brighter around the nucleus and at the cell cortex, dimmer over the nucleus.
    Also the red reference channel (tubulin): a microtubule protein's green copies it.
    """
    peri = np.exp(-np.clip(f.rn - 1.0, 0, None) * 0.8)
    edge = np.exp(-(((f.nd - 0.93) / 0.08) ** 2))
    level = (0.15 + 0.6 * peri + 0.45 * edge) * (0.15 + 0.85 * f.cyto)
    return f.inside * level * (0.15 + 0.6 * f.mt_network + 0.4 * f.filaments())


def _golgi(f):
    k = f.cidx
    ang = f.mang[k]
    dx, dy = f.xx - f.mx[k], f.yy - f.my[k]
    radial = dx * np.cos(ang) + dy * np.sin(ang)
    tang = -dx * np.sin(ang) + dy * np.cos(ang)
    cap = np.exp(-((radial / (5 * f.s + 0.5)) ** 2) - (tang / (13 * f.s + 0.5)) ** 2)
    tex = 0.6 + 0.4 * (smooth_noise(f.rng, (f.size, f.size), 1.2 * f.s + 0.4) > 0)
    return f.cyto * cap * tex * (f.kind[k] == 0)


def _vesicles(f, per_cell, perinuclear, sigma):
    """Shared generator for peroxisomes, endosomes and lysosomes (count and placement differ)."""
    n_int = max(int((f.kind == 0).sum()), 1)
    weight = np.exp(-np.clip(f.rn - 1.0, 0, None) * perinuclear)
    return f.spots(f.cyto, n_int * per_cell, sigma * f.s, weight=weight)


def _intermediate_filaments(f):
    warp = smooth_noise(f.rng, (f.size, f.size), 8 * f.s + 0.5)
    cage = f.sharp(2 * np.pi * (f.rn * 2.2 + 0.35 * warp), 8)
    return f.cyto * cage * np.exp(-np.clip(f.rn - 1, 0, None) * 0.4)


def _actin(f):
    k = f.cidx
    ang = f.phase[k]
    proj = f.xx * np.cos(ang) + f.yy * np.sin(ang)
    period = 9 * f.s + 1.5
    fibres = f.sharp(2 * np.pi * proj / period + f.phase[k] * 3, 10)
    cortex = np.exp(-(((f.nd - 0.95) / 0.05) ** 2))
    return f.inside * (f.kind[k] == 0) * np.maximum(0.8 * fibres * (f.nd < 0.92), cortex)


def _focal_adhesions(f):
    band = (f.nd > 0.72) & (f.nd < 0.96)
    plaques = f.sharp(40 * f.thc + f.phase[f.cidx], 30)
    breaks = smooth_noise(f.rng, (f.size, f.size), 3 * f.s + 0.5) > 0.2
    return f.inside * band * plaques * breaks * (f.kind[f.cidx] == 0)


def _microtubule_ends(f):
    fil = f.filaments()
    region = f.cyto & (f.nd > 0.7)
    n_int = max(int((f.kind == 0).sum()), 1)
    return f.spots(region, n_int * 12, 0.9 * f.s, weight=fil + 1e-3)


def _mtoc(f):
    spot = np.exp(-((f.dm / (5 * f.s + 0.7)) ** 2))
    gran = 0.6 + 0.4 * (smooth_noise(f.rng, (f.size, f.size), 0.8 * f.s + 0.3) > 0)
    return f.inside * spot * gran


def _centrosome(f):
    k = f.cidx
    off = 2.0 * f.s + 0.5
    ox, oy = np.cos(f.phase[k]) * off, np.sin(f.phase[k]) * off
    w = 1.0 * f.s + 0.45
    d1 = (f.xx - f.mx[k] - ox) ** 2 + (f.yy - f.my[k] - oy) ** 2
    d2 = (f.xx - f.mx[k] + ox) ** 2 + (f.yy - f.my[k] + oy) ** 2
    return f.inside * np.maximum(np.exp(-d1 / w**2), np.exp(-d2 / w**2))


def _lipid_droplets(f):
    n_int = max(int((f.kind == 0).sum()), 1)
    drops = f.spots(f.cyto, n_int * f.rng.integers(4, 12), 2.6 * f.s)
    # dimmed centres turn the larger droplets into rings
    return np.where(drops > 0.85, drops - 0.55, drops)


def _plasma_membrane(f):
    rim = np.exp(-(((f.nd - 0.94) / (0.05 + 1.0 / max(f.R.mean(), 1))) ** 2))
    if f.rng.random() < 0.25:  # the flat, uniform variant
        return f.inside * np.maximum(rim, 0.45)
    return f.inside * rim


def _cell_junctions(f):
    w = 0.035 + 1.5 / max(f.R.mean(), 1)
    touching = (f.nd2 < 1.05) & f.inside
    return touching * np.exp(-(((f.nd2 - f.nd) / w) ** 2))


def _mitochondria(f):
    threads = ridges(f.rng, (f.size, f.size), 2.2 * f.s + 0.5, width=0.2)
    broken = smooth_noise(f.rng, (f.size, f.size), 3 * f.s + 0.5) > -0.2
    density = np.exp(-np.clip(f.rn - 1.0, 0, None) * 0.5)
    return f.cyto * threads * broken * density


def _aggresome(f):
    k = f.cidx
    has = f.per_cell(f.rng.random(f.n) < 0.6) > 0
    spot = np.exp(-((f.dm / (4.5 * f.s + 0.8)) ** 2) * 0.8)
    return has * f.inside * np.clip(spot * 1.4, 0, 1) * (f.kind[k] == 0)


def _cytosol(f):
    tex = 0.8 + 0.2 * smooth_noise(f.rng, (f.size, f.size), 4 * f.s + 0.5)
    return f.cyto * np.clip(tex, 0, None) * (f.kind[f.cidx] == 0)


def _cytoplasmic_bodies(f):
    n_int = max(int((f.kind == 0).sum()), 1)
    return f.spots(f.cyto, n_int * f.rng.integers(1, 4), 2.0 * f.s, amp=(0.9, 1.0))


def _rods_rings(f):
    out = np.zeros((f.size, f.size), np.float32)
    cyto_idx = np.flatnonzero(f.cyto.ravel())
    if cyto_idx.size == 0:
        return out
    n_obj = int(f.rng.integers(2, 4) * max((f.kind == 0).sum(), 1) * 0.5) + 1
    for idx in f.rng.choice(cyto_idx, size=n_obj):
        y, x = divmod(int(idx), f.size)
        dx, dy = f.xx - x, f.yy - y
        if f.rng.random() < 0.5:  # rod
            ang = f.rng.uniform(0, np.pi)
            a = dx * np.cos(ang) + dy * np.sin(ang)
            b = -dx * np.sin(ang) + dy * np.cos(ang)
            L = f.rng.uniform(3, 7) * f.s + 0.7
            obj = np.exp(-((b / (1.0 * f.s + 0.45)) ** 2) - (a / L) ** 6)
        else:  # ring
            r = np.sqrt(dx * dx + dy * dy)
            rad = f.rng.uniform(2.5, 5) * f.s + 0.6
            obj = np.exp(-(((r - rad) / (0.9 * f.s + 0.45)) ** 2))
        out = np.maximum(out, obj)
    return out * f.cyto


def _peroxisomes(f):
    return _vesicles(f, per_cell=70, perinuclear=0.0, sigma=0.8)


def _endosomes(f):
    return _vesicles(f, per_cell=35, perinuclear=1.2, sigma=0.9)


def _lysosomes(f):
    return _vesicles(f, per_cell=20, perinuclear=2.5, sigma=1.1)


def _cytokinetic_bridge(f):
    return f.bridges(gap=True)


def _mitotic_spindle(f):
    return f.spindles()


#: The green pattern of each class, in class order (``PATTERNS[k](field)``).
PATTERNS = (
    _nucleoplasm,
    _nuclear_membrane,
    _nucleoli,
    _fibrillar_center,
    _speckles,
    _nuclear_bodies,
    endoplasmic_reticulum,
    _golgi,
    _peroxisomes,
    _endosomes,
    _lysosomes,
    _intermediate_filaments,
    _actin,
    _focal_adhesions,
    microtubules,
    _microtubule_ends,
    _cytokinetic_bridge,
    _mitotic_spindle,
    _mtoc,
    _centrosome,
    _lipid_droplets,
    _plasma_membrane,
    _cell_junctions,
    _mitochondria,
    _aggresome,
    _cytosol,
    _cytoplasmic_bodies,
    _rods_rings,
)
