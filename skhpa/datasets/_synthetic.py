"""Procedural HPA-like images: fields of cells in 4 channels with class-specific green patterns.

Every image is built from one random field geometry (cells, nuclei, nucleoli,
microtubule organizing centres, dividing cells) and the reference channels are
drawn from it: blue = nuclei (nucleoli as dark holes, condensed DNA in mitosis),
red = microtubules filling the cytoplasm (a fine network and fibres from the
MTOC), yellow = the ER, a reticular fill densest around the nucleus; intensities,
background and camera noise are calibrated against real HPA fields
(``benchmarks/bench_realism.py``). The green channel holds the pattern of each class in the
sample's label set, placed relative to that same geometry (see
``docs/synthetic_data.rst`` for the table). Label sets are drawn from the real
HPA label-set distribution (:func:`hpa_label_sets`).

All sizes below are given in pixels of a 512 px field and scaled with
``image_size``.
"""

import json
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import ndimage
from sklearn.utils import check_random_state

from ..utils import atomic_write
from ._kaggle import CHANNELS
from ._labels import N_CLASSES, format_targets, hpa_label_sets

#: Version of the generator's images: bumped whenever the same call gives different pixels.
#: 1: the first generator; 2: reference channels, cell density, intensities and noise
#: calibrated against real HPA fields (``benchmarks/bench_realism.py``).
GENERATOR_VERSION = 2

_CH_INDEX = {c: i for i, c in enumerate(CHANNELS)}
_LABEL_DISTRIBUTIONS = ("hpa2018", "hpav18", "flat")

# Share of fields drawn in the "3072-source" mode: cells 1.5x smaller, blue dimmer.
_SMALL_MODE_P = 0.22
# Chance that a field without a mitotic label still holds a dividing cell
# (reference channels only), so mitosis alone does not give away classes 16/17.
_BACKGROUND_MITOSIS_P = 0.15
# Median number of cells in a 512 px field (real Kaggle fields: 12-43 nuclei, median ~19).
_CELLS_MEDIAN = 22


def _blur(img, sigma):
    """Gaussian blur with zero padding.

    Small kernels are applied as shifted multiply-adds, several times faster
    than :func:`scipy.ndimage.gaussian_filter` on small images.
    """
    if sigma < 0.3:
        return img
    if sigma > 3.0:
        return ndimage.gaussian_filter(img, sigma, mode="constant", truncate=3.0)
    r = int(np.ceil(2.0 * sigma))
    k = np.exp(-(np.arange(-r, r + 1) ** 2) / (2 * sigma**2))
    k = (k / k.sum()).astype(np.float32)
    tmp = img * k[r]
    for j in range(1, r + 1):
        tmp[j:] += img[:-j] * k[r + j]
        tmp[:-j] += img[j:] * k[r - j]
    out = tmp * k[r]
    for j in range(1, r + 1):
        out[:, j:] += tmp[:, :-j] * k[r + j]
        out[:, :-j] += tmp[:, j:] * k[r - j]
    return out


def _ipow(x, p):
    """x ** p for a small positive int p, by repeated multiplication (numpy's pow is slow)."""
    result = None
    base = x
    while p:
        if p & 1:
            result = base if result is None else result * base
        p >>= 1
        if p:
            base = base * base
    return result


@lru_cache(maxsize=64)
def _noise_bank(size, sigma):
    """A fixed smooth noise texture 1.5x larger than the image, cropped at random.

    Blurring fresh white noise for every field dominated the generator's cost;
    random crops, flips and rotations of one texture per (size, sigma) give
    unrelated-looking fields at a fraction of it.
    """
    big = size + size // 2
    rng = np.random.default_rng([size, int(sigma * 1000)])
    n = _blur(rng.standard_normal((big, big)).astype(np.float32), sigma)
    return n / (n.std() + 1e-6)


def _smooth_noise(rng, shape, sigma):
    """Zero-mean, unit-std smooth random field (a random view of a cached texture)."""
    size = shape[0]
    bank = _noise_bank(size, round(float(sigma), 2))
    oy, ox = rng.integers(0, size // 2 + 1, 2)
    view = bank[oy : oy + size, ox : ox + size]
    k = int(rng.integers(8))
    view = np.rot90(view, k % 4)
    return view[::-1] if k >= 4 else view


@lru_cache(maxsize=8)
def _grid(size):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    yy.flags.writeable = False
    xx.flags.writeable = False
    return yy, xx


def _ridges(rng, shape, sigma, width=0.25):
    """A network of thin lines along the zero crossings of smooth noise."""
    n = _smooth_noise(rng, shape, sigma)
    return np.exp(-((n / width) ** 2))


class _Field:
    """Geometry of one field of view."""

    def __init__(self, rng, size, *, small_mode, n_mitotic, n_pairs, second_nearest=True):
        self.rng = rng
        self.size = size
        self.s = size / 512.0 / (1.5 if small_mode else 1.0)
        s = self.s
        H = W = size
        yy, xx = _grid(size)
        self.yy, self.xx = yy, xx

        n_cells = int(np.clip(round(rng.lognormal(np.log(_CELLS_MEDIAN), 0.4)), 6, 40))
        if small_mode:
            n_cells = min(int(round(n_cells * 1.8)), 60)
        # Interphase cells: random seeds, radius 40-90 px.
        sx = rng.uniform(-0.05, 1.05, n_cells) * W
        sy = rng.uniform(-0.05, 1.05, n_cells) * H
        R = rng.uniform(40, 90, n_cells) * s
        kind = np.zeros(n_cells, dtype=np.int8)  # 0 interphase, 1 mitotic, 2 daughter
        # Mitotic (rounded) cells replace interphase ones.
        mit = rng.choice(n_cells, size=min(n_mitotic, n_cells), replace=False)
        kind[mit] = 1
        R[mit] = rng.uniform(28, 38, len(mit)) * s
        # Dividing pairs: two small round daughters joined by a bridge.
        pair_a, pair_b, pair_axis = [], [], []
        for _ in range(n_pairs):
            cx, cy = rng.uniform(0.15, 0.85, 2) * W
            ang = rng.uniform(0, np.pi)
            half = rng.uniform(22, 32) * s
            for sign in (-1, 1):
                sx = np.append(sx, cx + sign * half * np.cos(ang))
                sy = np.append(sy, cy + sign * half * np.sin(ang))
                R = np.append(R, rng.uniform(17, 22) * s)
                kind = np.append(kind, np.int8(2))
            pair_a.append(len(sx) - 2)
            pair_b.append(len(sx) - 1)
            pair_axis.append(ang)
        self.pairs = list(zip(pair_a, pair_b, pair_axis))
        n = len(sx)
        self.n, self.sx, self.sy, self.R, self.kind = n, sx, sy, R, kind

        # Power-distance tessellation with a shared noise field for irregular
        # outlines; each cell only touches its bounding box (the hot loop).
        sx, sy, R = (np.asarray(a, np.float32) for a in (sx, sy, R))
        outline_noise = _smooth_noise(rng, (H, W), 18 * s + 1) * 0.12
        nd1 = np.full((H, W), np.inf, np.float32)
        nd2 = np.full((H, W), np.inf, np.float32) if second_nearest else None
        cell = np.zeros((H, W), np.int64)
        for i in range(n):
            reach = 1.45 * R[i]
            y0, y1 = max(int(sy[i] - reach), 0), min(int(sy[i] + reach) + 1, H)
            x0, x1 = max(int(sx[i] - reach), 0), min(int(sx[i] + reach) + 1, W)
            if y0 >= y1 or x0 >= x1:
                continue
            win = (slice(y0, y1), slice(x0, x1))
            inv = np.float32(1.0 / R[i])
            ax = (xx[0, x0:x1] - sx[i]) * inv
            ay = (yy[y0:y1, 0] - sy[i]) * inv
            d = ay[:, None] * ay[:, None] + ax * ax
            np.sqrt(d, out=d)
            if kind[i] == 0:  # round (mitotic) cells and daughters keep a smooth outline
                d += outline_noise[win]
            b1 = nd1[win]
            closer = d < b1
            if nd2 is not None:
                b2 = nd2[win]
                b2[...] = np.where(closer, b1, np.minimum(b2, d))
            np.copyto(b1, d, where=closer)
            np.copyto(cell[win], i, where=closer)
        inside = nd1 < 1.0
        self.cell = np.where(inside, cell, -1)
        self.cidx = np.where(inside, cell, 0)  # safe index for per-cell lookups
        self.inside = inside
        self.nd = np.where(inside, nd1, 2.0).astype(np.float32)
        self.nd2 = None if nd2 is None else np.minimum(nd2, 9.0).astype(np.float32)

        # Nuclei: ellipses inside each cell (semi-axes 24-38 px), slightly off-centre.
        na = np.where(kind == 0, rng.uniform(24, 38, n) * s, R * 0.55)
        nb = na / np.where(kind == 0, rng.uniform(1.0, 1.5, n), 1.0)
        off = np.where(kind == 0, rng.uniform(0, 0.25, n), 0.0) * R
        off_ang = rng.uniform(0, 2 * np.pi, n)
        ncx = (sx + off * np.cos(off_ang)).astype(np.float32)
        ncy = (sy + off * np.sin(off_ang)).astype(np.float32)
        na, nb = na.astype(np.float32), nb.astype(np.float32)
        nang = rng.uniform(0, np.pi, n).astype(np.float32)
        self.ncx, self.ncy, self.na, self.nb, self.nang = ncx, ncy, na, nb, nang
        k = self.cidx
        dx = xx - ncx[k]
        dy = yy - ncy[k]
        c, sn = np.cos(nang)[k], np.sin(nang)[k]
        u = (dx * c + dy * sn) / na[k]
        v = (-dx * sn + dy * c) / nb[k]
        rn = np.sqrt(u * u + v * v) + outline_noise * 0.3
        self.rn = np.where(inside, rn, 9.0).astype(np.float32)
        self.nuc = inside & (self.rn < 1.0) & (kind[k] != 1)
        self.cyto = inside & ~self.nuc
        self.nuc_px = float(np.mean(na))  # mean nuclear radius in px

        # MTOC beside the nucleus, on the side away from the cell centre where possible.
        mang = rng.uniform(0, 2 * np.pi, n)
        mdist = na * 1.2
        self.mx = (ncx + mdist * np.cos(mang)).astype(np.float32)
        self.my = (ncy + mdist * np.sin(mang)).astype(np.float32)
        self.mx[kind > 0] = sx[kind > 0]
        self.my[kind > 0] = sy[kind > 0]
        mdx = xx - self.mx[k]
        mdy = yy - self.my[k]
        self.dm = np.sqrt(mdx * mdx + mdy * mdy)
        inv = 1.0 / np.maximum(self.dm, 1e-3)
        self.mdir = (mdx * inv + 1j * (mdy * inv)).astype(np.complex64)
        self._filaments = None
        self.mang = mang
        self.phase = rng.uniform(0, 2 * np.pi, n).astype(np.float32)
        self.spindle_axis = rng.uniform(0, np.pi, n)

        # Nucleoli: 1-6 per interphase nucleus, radius 3-7 px.
        owners = np.flatnonzero(kind == 0)
        owners = np.repeat(owners, rng.integers(1, 7, owners.size))
        r = np.sqrt(rng.uniform(0, 0.45, owners.size))
        a = rng.uniform(0, 2 * np.pi, owners.size)
        lx, ly = r * na[owners] * np.cos(a), r * nb[owners] * np.sin(a)
        c0, s0 = np.cos(nang[owners]), np.sin(nang[owners])
        self.nucleoli = np.stack(
            [
                ncx[owners] + lx * c0 - ly * s0,
                ncy[owners] + lx * s0 + ly * c0,
                rng.uniform(3, 7, owners.size) * s,
            ],
            axis=1,
        ).astype(np.float32)
        self.nucleoli_map = self._discs(self.nucleoli) * self.nuc

        # Cell-to-cell expression variability of the antibody.
        self.expr = rng.lognormal(0, 0.5, n).astype(np.float32)

    @property
    def thc(self):
        """Angle around the cell seed (radial features at the periphery)."""
        k = self.cidx
        return np.arctan2(self.yy - self.sy[k], self.xx - self.sx[k])

    # -- rendering helpers -------------------------------------------------
    def _discs(self, spots):
        """Soft discs (x, y, radius) rendered by blurring impulses."""
        out = np.zeros((self.size, self.size), np.float32)
        if len(spots):
            ix = np.rint(spots[:, 0]).astype(np.int64)
            iy = np.rint(spots[:, 1]).astype(np.int64)
            ok = (ix >= 0) & (ix < self.size) & (iy >= 0) & (iy < self.size)
            np.add.at(out, (iy[ok], ix[ok]), 1.0)
        sigma = float(np.mean(spots[:, 2])) * 0.7 if len(spots) else 1.0
        return np.clip(_blur(out, sigma) * max(2 * np.pi * sigma**2, 1.0), 0, 1)

    def spots(self, region, count, sigma, weight=None, amp=(0.6, 1.0)):
        """``count`` blurred dots placed in ``region`` (optionally weighted)."""
        out = np.zeros((self.size, self.size), np.float32)
        w = region.astype(np.float32).ravel()
        if weight is not None:
            w = w * weight.ravel()
        total = w.sum()
        count = int(count)
        if total <= 0 or count <= 0:
            return out
        idx = self.rng.choice(w.size, size=count, p=w / total)
        np.add.at(out.ravel(), idx, self.rng.uniform(*amp, count).astype(np.float32))
        return np.clip(_blur(out, sigma) * max(2 * np.pi * sigma**2, 1.0), 0, 1)

    def per_cell(self, values):
        return np.where(self.inside, np.asarray(values, np.float32)[self.cidx], 0.0)

    def sharp(self, phase_field, power):
        return _ipow(0.5 + 0.5 * np.cos(phase_field), power)

    def filaments(self):
        """Microtubules radiating from each cell's MTOC (the red channel's pattern).

        cos(28 * angle + phase) is computed as the real part of a complex power
        of the unit direction vector (no arctan2, which is slow).
        """
        if self._filaments is None:
            z = _ipow(self.mdir, 28) * np.exp(1j * self.phase).astype(np.complex64)[self.cidx]
            f = _ipow(0.5 + 0.5 * z.real.astype(np.float32), 6)
            fade = np.exp(-self.dm / (1.6 * self.R[self.cidx]))
            self._filaments = (f * fade * (0.3 + 0.7 * self.cyto) * self.inside).astype(np.float32)
        return self._filaments

    def bridges(self, gap):
        """Thin bundles joining the daughter cells of each dividing pair."""
        out = np.zeros((self.size, self.size), np.float32)
        s = self.s
        for a, b, _ in self.pairs:
            x0, y0, x1, y1 = self.sx[a], self.sy[a], self.sx[b], self.sy[b]
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            L = np.hypot(x1 - x0, y1 - y0)
            ux, uy = (x1 - x0) / L, (y1 - y0) / L
            along = (self.xx - cx) * ux + (self.yy - cy) * uy
            across = -(self.xx - cx) * uy + (self.yy - cy) * ux
            w = max(1.5 * s, 0.6)
            line = np.exp(-((across / w) ** 2)) * (np.abs(along) < 0.45 * L)
            if gap:
                line = line * (np.abs(along) > max(2.5 * s, 0.8))
            out = np.maximum(out, line)
        return out

    def _spindle_frame(self, i):
        """Coordinates along (a) and across (b) the spindle axis of mitotic cell i."""
        ang = self.spindle_axis[i]
        dx, dy = self.xx - self.sx[i], self.yy - self.sy[i]
        return dx * np.cos(ang) + dy * np.sin(ang), -dx * np.sin(ang) + dy * np.cos(ang)

    def spindles(self):
        """Bipolar spindles in mitotic cells."""
        out = np.zeros((self.size, self.size), np.float32)
        s = self.s
        for i in np.flatnonzero(self.kind == 1):
            a, b = self._spindle_frame(i)
            L = 16 * s
            prof = np.clip(1 - (a / L) ** 2, 0, None)
            width = 9 * s * prof + 0.5
            body = np.exp(-((b / width) ** 2)) * (np.abs(a) < L)
            fibres = self.sharp(b / width * 7.0, 2)
            out = np.maximum(out, body * (0.5 + 0.5 * fibres))
        return out

    def mitotic_dna(self):
        """Condensed chromosomes: a bright plate across each mitotic spindle."""
        out = np.zeros((self.size, self.size), np.float32)
        s = self.s
        for i in np.flatnonzero(self.kind == 1):
            a, b = self._spindle_frame(i)
            out = np.maximum(out, np.exp(-((a / (3 * s + 0.5)) ** 2) - (b / (11 * s + 0.5)) ** 4))
        return out


# -- per-class green patterns -------------------------------------------------
# Each takes the field and returns a float image in [0, ~1] (before expression
# and brightness scaling). Sizes are px at 512 (scaled by field.s).


def _nucleoplasm(f):
    tex = 0.75 + 0.25 * _smooth_noise(f.rng, (f.size, f.size), 2 * f.s + 0.5)
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
    mottle = _smooth_noise(f.rng, (f.size, f.size), 1.5 * f.s + 0.4) > -0.3
    return f.spots(region, n_nuc * f.rng.integers(20, 50), 2.0 * f.s) * mottle


def _nuclear_bodies(f):
    n_nuc = max(int((f.kind == 0).sum()), 1)
    region = f.nuc & (f.nucleoli_map < 0.2)
    return f.spots(region, n_nuc * f.rng.integers(3, 15), 1.4 * f.s, amp=(0.9, 1.0))


def _er_pattern(f, ridges):
    """Yellow: the ER, a reticular fill densest around the nucleus, with a nuclear rim."""
    density = np.exp(-np.clip(f.rn - 1.0, 0, None) * 1.2)
    rim = np.exp(-(((f.rn - 1.05) / 0.12) ** 2))
    return f.inside * (
        f.cyto * (0.1 + 0.9 * ridges) * (0.4 + 0.6 * density) + 0.8 * rim + 0.1 * f.nuc
    )


def _tubulin(f, network):
    """Red: microtubules filling the cytoplasm, a fine network plus fibres from the MTOC.

    Brighter around the nucleus and at the cell cortex, dimmer over the nucleus.
    """
    peri = np.exp(-np.clip(f.rn - 1.0, 0, None) * 0.8)
    edge = np.exp(-(((f.nd - 0.93) / 0.08) ** 2))
    level = (0.15 + 0.6 * peri + 0.45 * edge) * (0.15 + 0.85 * f.cyto)
    return f.inside * level * (0.15 + 0.6 * network + 0.4 * f.filaments())


def _golgi(f):
    k = f.cidx
    ang = f.mang[k]
    dx, dy = f.xx - f.mx[k], f.yy - f.my[k]
    radial = dx * np.cos(ang) + dy * np.sin(ang)
    tang = -dx * np.sin(ang) + dy * np.cos(ang)
    cap = np.exp(-((radial / (5 * f.s + 0.5)) ** 2) - (tang / (13 * f.s + 0.5)) ** 2)
    tex = 0.6 + 0.4 * (_smooth_noise(f.rng, (f.size, f.size), 1.2 * f.s + 0.4) > 0)
    return f.cyto * cap * tex * (f.kind[k] == 0)


def _vesicles(f, per_cell, perinuclear, sigma):
    """Shared generator for peroxisomes, endosomes and lysosomes (count and placement differ)."""
    n_int = max(int((f.kind == 0).sum()), 1)
    weight = np.exp(-np.clip(f.rn - 1.0, 0, None) * perinuclear)
    return f.spots(f.cyto, n_int * per_cell, sigma * f.s, weight=weight)


def _intermediate_filaments(f):
    warp = _smooth_noise(f.rng, (f.size, f.size), 8 * f.s + 0.5)
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
    breaks = _smooth_noise(f.rng, (f.size, f.size), 3 * f.s + 0.5) > 0.2
    return f.inside * band * plaques * breaks * (f.kind[f.cidx] == 0)


def _microtubule_ends(f):
    fil = f.filaments()
    region = f.cyto & (f.nd > 0.7)
    n_int = max(int((f.kind == 0).sum()), 1)
    return f.spots(region, n_int * 12, 0.9 * f.s, weight=fil + 1e-3)


def _mtoc(f):
    spot = np.exp(-((f.dm / (5 * f.s + 0.7)) ** 2))
    gran = 0.6 + 0.4 * (_smooth_noise(f.rng, (f.size, f.size), 0.8 * f.s + 0.3) > 0)
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
    threads = _ridges(f.rng, (f.size, f.size), 2.2 * f.s + 0.5, width=0.2)
    broken = _smooth_noise(f.rng, (f.size, f.size), 3 * f.s + 0.5) > -0.2
    density = np.exp(-np.clip(f.rn - 1.0, 0, None) * 0.5)
    return f.cyto * threads * broken * density


def _aggresome(f):
    k = f.cidx
    has = f.per_cell(f.rng.random(f.n) < 0.6) > 0
    spot = np.exp(-((f.dm / (4.5 * f.s + 0.8)) ** 2) * 0.8)
    return has * f.inside * np.clip(spot * 1.4, 0, 1) * (f.kind[k] == 0)


def _cytosol(f):
    tex = 0.8 + 0.2 * _smooth_noise(f.rng, (f.size, f.size), 4 * f.s + 0.5)
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


_PATTERNS = {
    0: _nucleoplasm,
    1: _nuclear_membrane,
    2: _nucleoli,
    3: _fibrillar_center,
    4: _speckles,
    5: _nuclear_bodies,
    6: None,  # ER: copies the yellow channel's network (handled in _render)
    7: _golgi,
    8: lambda f: _vesicles(f, per_cell=70, perinuclear=0.0, sigma=0.8),
    9: lambda f: _vesicles(f, per_cell=35, perinuclear=1.2, sigma=0.9),
    10: lambda f: _vesicles(f, per_cell=20, perinuclear=2.5, sigma=1.1),
    11: _intermediate_filaments,
    12: _actin,
    13: _focal_adhesions,
    14: None,  # microtubules: copies the red channel's filaments (handled in _render)
    15: _microtubule_ends,
    16: lambda f: f.bridges(gap=True),
    17: lambda f: f.spindles(),
    18: _mtoc,
    19: _centrosome,
    20: _lipid_droplets,
    21: _plasma_membrane,
    22: _cell_junctions,
    23: _mitochondria,
    24: _aggresome,
    25: _cytosol,
    26: _cytoplasmic_bodies,
    27: _rods_rings,
}


def _finish(rng, img, brightness, blur, *, read=1.0, shot=0.5, background=0.0, offset=2.0):
    """Blur, camera noise, background and dark offset, 8-bit quantisation.

    ``img`` (about 0-1) becomes ``brightness * 255`` 8-bit levels, plus noise with a
    signal-independent part (``read`` levels) and a shot part (``shot * sqrt(signal)``),
    plus a ``background`` level, minus ``offset`` levels (so a dark background is mostly
    exactly 0 and a bright one is not), clipped to 0-255. ``blur`` is the Gaussian sigma in
    pixels (below 0.3: none). Written with few temporaries (this runs 4 times per sample).
    """
    img = _blur(img, blur) if blur >= 0.3 else np.array(img, dtype=np.float32)
    out = img * np.float32(brightness * 255.0)
    sd = np.sqrt(out)
    sd *= np.float32(shot)
    sd += np.float32(read)
    sd *= _white_noise(rng, img.shape)
    out += sd
    out += np.float32(background - offset + 0.5)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def _cell_levels(rng, f, sigma):
    """Cell-to-cell brightness of a reference stain: log-normal per cell, as an image.

    Not masked: background pixels get some cell's value (the stains are 0 there anyway).
    """
    return rng.lognormal(0, sigma, f.n).astype(np.float32)[f.cidx]


def _log_uniform(rng, low, high):
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


# Camera and background per channel, in 8-bit levels of a 512 px field: read noise,
# shot-noise factor and the highest background level (drawn per field); calibrated against
# real Kaggle fields (benchmarks/bench_realism.py).
_CAMERA = {
    "red": (1.5, 2.8, 2.0),
    "green": (1.5, 3.5, 2.0),
    "blue": (1.0, 1.5, 1.5),
    "yellow": (1.5, 3.5, 6.0),
}


def _camera(rng, channel, size):
    """``_finish`` keywords for one channel: pixel noise scaled as if a 512 px field were
    resized to ``size`` (averaging k x k pixels divides the noise by k), a random background.
    """
    read, shot, bg = _CAMERA[channel]
    k = np.float32(min(size / 512.0, 2.0))
    return {"read": read * k, "shot": shot * k, "background": rng.uniform(0, bg)}


def _white_noise(rng, shape):
    """Unit-variance white noise: a random window of a cached field (no rotation needed)."""
    size = shape[0]
    bank = _noise_bank(size, 0.0)
    oy, ox = rng.integers(0, size // 2 + 1, 2)
    return bank[oy : oy + size, ox : ox + size]


def _render(rng, labels, size, channels):
    """Render one sample with the given label indices; returns (C, H, W) uint8."""
    labels = set(int(k) for k in labels)
    small_mode = rng.random() < _SMALL_MODE_P
    n_mit = int(rng.integers(1, 3)) if 17 in labels else 0
    n_pairs = int(rng.integers(1, 3)) if 16 in labels else 0
    if not (n_mit or n_pairs) and rng.random() < _BACKGROUND_MITOSIS_P:
        if rng.random() < 0.5:
            n_mit = 1
        else:
            n_pairs = 1
    f = _Field(
        rng,
        size,
        small_mode=small_mode,
        n_mitotic=n_mit,
        n_pairs=n_pairs,
        second_nearest=22 in labels,
    )
    shape = (size, size)
    s = f.s
    # Optical blur in 30 % of the fields (slightly defocused), the same for every channel.
    blur = (0.7 * s + 0.2) * rng.uniform(0.7, 1.5) if rng.random() < 0.3 else 0.0

    er_ridges = _ridges(rng, shape, 2.5 * s + 0.35, width=0.7)
    tub = _tubulin(f, _ridges(rng, shape, 3.0 * s + 0.4, width=0.6))
    # Cell thickness: brighter cells in both cytoplasmic references (red and yellow).
    thick = _cell_levels(rng, f, 0.35)
    out = {}
    if "red" in channels:
        mtoc = np.exp(-((f.dm / (3 * s + 0.6)) ** 2)) * f.inside
        red = np.maximum(tub * thick * _cell_levels(rng, f, 0.4), mtoc)
        if (f.kind == 1).any():  # mitotic cells: spindle and a brighter, rounded cell
            red = np.maximum(red, f.spindles())
            red = np.maximum(red, 0.35 * (f.kind[f.cidx] == 1) * f.inside)
        if f.pairs:
            red = np.maximum(red, f.bridges(gap=False))
        out["red"] = _finish(
            rng, red, _log_uniform(rng, 0.3, 1.2), blur, **_camera(rng, "red", size)
        )
    if "blue" in channels:
        chrom = 0.75 + 0.3 * _smooth_noise(rng, shape, 1.2 * s + 0.4)
        edge = np.clip((1.0 - f.rn) * 6, 0, 1)
        blue = f.nuc * np.clip(chrom, 0, None) * (1 - 0.65 * f.nucleoli_map) * (0.8 + 0.2 * edge)
        blue *= _cell_levels(rng, f, 0.2)
        if f.pairs:
            daughters = (f.kind[f.cidx] == 2) & (f.rn < 0.8) & f.inside
            blue = np.maximum(blue, daughters * 1.0)
        if (f.kind == 1).any():
            blue = np.maximum(blue, f.mitotic_dna())
        out["blue"] = _finish(
            rng,
            blue,
            _log_uniform(rng, 0.4, 0.8) * (0.7 if small_mode else 1.0),
            blur,
            **_camera(rng, "blue", size),
        )
    if "yellow" in channels:
        out["yellow"] = _finish(
            rng,
            np.clip(_er_pattern(f, er_ridges), 0, 1) * thick,
            _log_uniform(rng, 0.25, 0.8),
            max(blur, 1.0 * s),
            **_camera(rng, "yellow", size),
        )
    if "green" in channels:
        green = np.zeros(shape, np.float32)
        expr = f.per_cell(f.expr)
        for k in sorted(labels):
            if k == 6:
                pat = _er_pattern(f, er_ridges)
            elif k == 14:
                pat = tub
            else:
                pat = _PATTERNS[k](f)
            w = rng.uniform(0.6, 1.0) if len(labels) > 1 else 1.0
            green = np.maximum(green, np.clip(pat, 0, 1) * w)
        # Unspecific antibody binding: a dim haze over the cells.
        haze = _log_uniform(rng, 0.01, 0.12)
        green = np.maximum(green, haze * (0.5 + 0.5 * f.cyto) * f.inside)
        green = green * expr
        # Antibody brightness varies about 10x between images.
        brightness = _log_uniform(rng, 0.1, 0.8)
        out["green"] = _finish(
            rng, np.clip(green, 0, 1.5), brightness, blur, **_camera(rng, "green", size)
        )
    return np.stack([out[c] for c in channels])


def _check_channels(channels):
    channels = tuple(channels)
    if (
        not channels
        or any(c not in _CH_INDEX for c in channels)
        or len(set(channels)) != len(channels)
    ):
        raise ValueError(f"channels must be distinct names from {CHANNELS}, got {channels!r}")
    return channels


def _label_set_table(label_distribution):
    if label_distribution not in _LABEL_DISTRIBUTIONS:
        raise ValueError(
            f"label_distribution must be one of {_LABEL_DISTRIBUTIONS}, got {label_distribution!r}"
        )
    source = "hpa2018" if label_distribution == "flat" else label_distribution
    sets = hpa_label_sets(source)
    if label_distribution == "flat":
        # Flattened: weight each label set by the mean inverse frequency of its
        # classes, so rare classes become common enough for small tests.
        class_freq = (sets.target * sets.counts[:, None]).sum(0) / sets.counts.sum()
        inv = (sets.target / class_freq[None]).sum(1) / sets.target.sum(1)
        p = inv / inv.sum()
    else:
        p = sets.frequencies
    return sets.target, p


def _sample_seeds(random_state, n):
    rng = check_random_state(random_state)
    return rng.randint(0, 2**32 - 1, size=(n, 2), dtype=np.uint64)


def _check_size(image_size):
    if not isinstance(image_size, (int, np.integer)) or not 16 <= image_size <= 2048:
        raise ValueError(f"image_size must be an int in [16, 2048], got {image_size!r}")
    return int(image_size)


def make_hpa_like(
    n_samples=1000,
    *,
    image_size=128,
    channels=CHANNELS,
    label_distribution="hpa2018",
    random_state=None,
    duplicate_fraction=0.0,
    return_groups=False,
):
    """Generate a synthetic HPA-like multilabel image dataset in memory.

    Each sample is a field of cells in up to 4 channels (red microtubules,
    green protein, blue nuclei, yellow ER). Label sets are drawn from the real
    HPA 2018 label-set distribution, and the green channel shows the pattern of
    each label placed relative to the reference channels (nucleoplasm fills the
    nuclei, ER copies the yellow network, microtubules copy the red filaments,
    ...). See the user guide page on the synthetic data for each class's
    pattern.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images.
    image_size : int, default=128
        Height and width in pixels (cells scale with it, as if a 512 px field
        were resized).
    channels : sequence of str, default=("red", "green", "blue", "yellow")
        Which channels, in which order.
    label_distribution : {"hpa2018", "hpav18", "flat"}, default="hpa2018"
        Distribution of label sets: the real Kaggle train set, the HPA v18
        external set, or a flattened version of the Kaggle one in which every
        class is common (for small tests).
    random_state : int, RandomState instance or None, default=None
        Seed. With an int the output is bit-identical across runs.
    duplicate_fraction : float in [0, 1), default=0.0
        Share of the samples that are near-duplicates of other samples (with
        the same labels), as the Kaggle and HPA v18 sets hold: each is a copy
        of a random original after one of, in turn, a flip or 90-degree
        rotation, a resize (shrunk 2-4x and enlarged back), JPEG re-encoding
        (quality 50-90), a per-channel brightness and contrast change, a crop
        of 3-10 % of the side (enlarged back) or a shift of up to 10 % of the
        side (edges mirrored). They are spread over the output. 0 leaves the
        output unchanged.
    return_groups : bool, default=False
        Also return the true groups: ``groups[i] == groups[j]`` when samples
        i and j are copies of one field.

    Returns
    -------
    X : ndarray of shape (n_samples, n_channels, image_size, image_size), uint8
    Y : ndarray of shape (n_samples, 28), uint8
    groups : ndarray of shape (n_samples,), int64
        Only with ``return_groups=True``.

    Examples
    --------
    >>> from skhpa.datasets import make_hpa_like
    >>> X, Y = make_hpa_like(8, image_size=64, random_state=0)
    >>> X.shape, X.dtype, Y.shape
    ((8, 4, 64, 64), dtype('uint8'), (8, 28))
    """
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    image_size = _check_size(image_size)
    channels = _check_channels(channels)
    sets, p = _label_set_table(label_distribution)
    if not (
        isinstance(duplicate_fraction, (float, int, np.floating, np.integer))
        and 0 <= duplicate_fraction < 1
    ):
        raise ValueError(f"duplicate_fraction must be in [0, 1), got {duplicate_fraction!r}")
    n_dup = int(round(duplicate_fraction * n_samples))
    seeds = _sample_seeds(random_state, n_samples)
    X = np.empty((n_samples, len(channels), image_size, image_size), np.uint8)
    Y = np.empty((n_samples, N_CLASSES), np.uint8)
    for i in range(n_samples - n_dup):
        Y[i], X[i] = _one_sample(seeds[i], sets, p, image_size, channels)
    groups = np.arange(n_samples)
    if n_dup:
        X, Y, groups = _plant_duplicates(X, Y, n_samples - n_dup, seeds[-1])
    return (X, Y, groups) if return_groups else (X, Y)


DUPLICATE_KINDS = ("dihedral", "resize", "jpeg", "brightness", "crop", "shift")


def near_duplicate(img, kind, rng):
    """A near-duplicate of one (C, H, W) uint8 image by ``kind`` (see :func:`make_hpa_like`)."""
    from PIL import Image

    def resize(plane, size):
        return np.asarray(Image.fromarray(plane).resize(size, Image.Resampling.BILINEAR))

    c, h, w = img.shape
    if kind == "dihedral":
        k = int(rng.integers(1, 8))
        out = np.rot90(img, k % 4, axes=(1, 2))
        out = out[:, :, ::-1] if k >= 4 else out
    elif kind == "resize":
        f = rng.uniform(2, 4)
        small = (max(int(w / f), 4), max(int(h / f), 4))
        out = np.stack([resize(resize(pl, small), (w, h)) for pl in img])
    elif kind == "jpeg":
        import io

        q = int(rng.integers(50, 91))
        planes = []
        for pl in img:
            buf = io.BytesIO()
            Image.fromarray(pl).save(buf, "JPEG", quality=q)
            planes.append(np.asarray(Image.open(buf)))
        out = np.stack(planes)
    elif kind == "brightness":
        gain = rng.uniform(0.6, 1.6, (c, 1, 1))
        offset = rng.uniform(-20, 20, (c, 1, 1))
        out = np.clip(img * gain + offset + 0.5, 0, 255)
    elif kind == "crop":
        cut = int(round(rng.uniform(0.03, 0.10) * min(h, w)))
        oy, ox = rng.integers(0, cut + 1, 2)
        out = np.stack([resize(pl[oy : oy + h - cut, ox : ox + w - cut], (w, h)) for pl in img])
    elif kind == "shift":
        m = int(round(0.10 * min(h, w)))
        dy, dx = rng.integers(-m, m + 1, 2)
        pad = np.pad(img, ((0, 0), (m, m), (m, m)), mode="reflect")
        out = pad[:, m + dy : m + dy + h, m + dx : m + dx + w]
    else:
        raise ValueError(f"kind must be one of {DUPLICATE_KINDS}, got {kind!r}")
    return np.ascontiguousarray(out, dtype=np.uint8)


def _plant_duplicates(X, Y, n_orig, seed):
    """Fill rows n_orig.. with near-duplicates of random originals; shuffle; true groups."""
    rng = np.random.default_rng([int(seed[0]), int(seed[1]), 22])
    n = len(X)
    source = np.arange(n)
    for d in range(n_orig, n):
        src = int(rng.integers(n_orig))
        source[d] = src
        kind = DUPLICATE_KINDS[(d - n_orig) % len(DUPLICATE_KINDS)]
        X[d] = near_duplicate(X[src], kind, rng)
        Y[d] = Y[src]
    perm = rng.permutation(n)
    X, Y, source = X[perm], Y[perm], source[perm]
    _, groups = np.unique(source, return_inverse=True)
    return X, Y, groups.astype(np.int64)


def _one_sample(seed, sets, p, image_size, channels):
    rng = np.random.default_rng(seed.tolist())
    y = sets[rng.choice(len(p), p=p)]
    return y, _render(rng, np.flatnonzero(y), image_size, channels)


def _sample_id(seed):
    h = np.random.default_rng([int(seed[0]), int(seed[1]), 7]).bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _write_split(directory, seeds, sets, p, image_size):
    from PIL import Image

    directory.mkdir(parents=True)
    ids, Y = [], []
    for seed in seeds:
        y, img = _one_sample(seed, sets, p, image_size, CHANNELS)
        sample_id = _sample_id(seed)
        for c, plane in zip(CHANNELS, img):
            Image.fromarray(plane).save(directory / f"{sample_id}_{c}.png", compress_level=1)
        ids.append(sample_id)
        Y.append(y)
    return ids, np.array(Y, dtype=np.uint8).reshape(-1, N_CLASSES)


def _write_csv(path, header, rows):
    import csv

    with atomic_write(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


_MANIFEST = "skhpa_synthetic.json"


def _without_version(manifest):
    return {k: v for k, v in manifest.items() if k != "generator_version"}


def write_hpa_like(
    root,
    n_train,
    n_test,
    *,
    image_size=128,
    label_distribution="hpa2018",
    random_state=None,
    overwrite=False,
):
    """Write a synthetic HPA-like dataset in the Kaggle layout.

    Writes ``train.csv``, ``train/{Id}_{color}.png``, ``test/{Id}_{color}.png``,
    ``sample_submission.csv`` (as Kaggle ships it) and ``test_labels.csv`` (the
    true test labels, so test predictions can be scored). :func:`load_hpa`
    reads the result unchanged.

    The dataset is written into a temporary folder next to ``root`` and renamed
    at the end, so an interrupted call leaves no half-written dataset. A
    manifest (``skhpa_synthetic.json``) records the parameters: calling again
    with the same integer ``random_state`` and parameters reuses the existing
    folder instead of writing it again (and a folder this function wrote with the same
    parameters but an older ``GENERATOR_VERSION`` is written again).

    Parameters
    ----------
    root : str or path-like
        Destination folder (must not exist, or hold a dataset written with the
        same parameters, unless ``overwrite=True``).
    n_train, n_test : int
        Number of training and test images.
    image_size : int, default=128
    label_distribution : {"hpa2018", "hpav18", "flat"}, default="hpa2018"
    random_state : int, RandomState instance or None, default=None
    overwrite : bool, default=False
        Replace an existing folder.

    Returns
    -------
    root : pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from skhpa.datasets import load_hpa, write_hpa_like
    >>> root = write_hpa_like(tempfile.mkdtemp() + "/hpa", 6, 2, image_size=32,
    ...                       random_state=0)
    >>> sorted(p.name for p in root.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['sample_submission.csv', 'skhpa_synthetic.json', 'test', 'test_labels.csv',
     'train', 'train.csv']
    """
    for name, v in (("n_train", n_train), ("n_test", n_test)):
        if not isinstance(v, (int, np.integer)) or v < (1 if name == "n_train" else 0):
            raise ValueError(f"{name} must be a non-negative int (n_train >= 1), got {v!r}")
    image_size = _check_size(image_size)
    sets, p = _label_set_table(label_distribution)
    root = Path(root)
    manifest = {
        "generator": "skhpa.datasets.write_hpa_like",
        "version": 1,
        "generator_version": GENERATOR_VERSION,
        "n_train": int(n_train),
        "n_test": int(n_test),
        "image_size": image_size,
        "label_distribution": label_distribution,
        "random_state": random_state if isinstance(random_state, int) else None,
    }
    stale = False  # this dataset, written by an older generator version: write it again
    if root.exists():
        if not overwrite and manifest["random_state"] is not None:
            try:
                existing = json.loads((root / _MANIFEST).read_text())
            except (OSError, ValueError):
                existing = None
            if existing == manifest:
                return root
            stale = isinstance(existing, dict) and _without_version(existing) == _without_version(
                manifest
            )
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()
        elif not (overwrite or stale):
            raise FileExistsError(
                f"{root} already exists and does not hold this dataset; pass overwrite=True "
                "to replace it"
            )
    seeds = _sample_seeds(random_state, n_train + n_test)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    try:
        train_ids, Y_train = _write_split(tmp / "train", seeds[:n_train], sets, p, image_size)
        test_ids, Y_test = _write_split(tmp / "test", seeds[n_train:], sets, p, image_size)
        _write_csv(tmp / "train.csv", ["Id", "Target"], zip(train_ids, format_targets(Y_train)))
        _write_csv(tmp / "sample_submission.csv", ["Id", "Predicted"], [(i, "0") for i in test_ids])
        _write_csv(
            tmp / "test_labels.csv",
            ["Id", "Target"],
            zip(test_ids, format_targets(Y_test)) if n_test else [],
        )
        (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1))
        if root.exists():
            shutil.rmtree(root)
        os.replace(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root
