"""The geometry of one synthetic field of view: cells, nuclei, nucleoli, MTOCs, dividing cells.

A :class:`Field` is drawn from the sample's random generator and holds, per pixel, which
cell it belongs to and where it lies in that cell (distance to the cell's outline, to the
nucleus, to the MTOC), plus the structures several channels share: nucleoli, microtubule
filaments, spindles and bridges of dividing cells, and the ER and microtubule networks.
The channels (:mod:`._render`) and the class patterns (:mod:`._patterns`) are all drawn
relative to one field. Sizes are pixels of a 512 px field, scaled by ``Field.s``.
"""

import numpy as np

from ._textures import gaussian_blur, ipow, pixel_grid, ridges, smooth_noise

# Median number of cells in a 512 px field (real Kaggle fields: 12-43 nuclei, median ~19).
_CELLS_MEDIAN = 22


class Field:
    """Geometry of one field of view, drawn from ``rng`` (kept as ``self.rng``).

    Parameters
    ----------
    rng : numpy.random.Generator
        The sample's generator; the class patterns draw from it too.
    size : int
        Height and width in pixels.
    small_mode : bool
        Cells 1.5x smaller (fields of the "3072-source" kind).
    n_mitotic, n_pairs : int
        Rounded mitotic cells and dividing pairs (two daughters and a bridge).
    second_nearest : bool, default=True
        Also compute the distance to the second-nearest cell (``nd2``; the
        cell-junction pattern needs it).
    """

    def __init__(self, rng, size, *, small_mode, n_mitotic, n_pairs, second_nearest=True):
        self.rng = rng
        self.size = size
        self.small_mode = small_mode
        self.s = size / 512.0 / (1.5 if small_mode else 1.0)
        s = self.s
        H = W = size
        yy, xx = pixel_grid(size)
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
        outline_noise = smooth_noise(rng, (H, W), 18 * s + 1) * 0.12
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

    def draw_networks(self):
        """Draw the ER network and the microtubule network (thin random ridges).

        Sets ``er_network`` and ``mt_network``. Drawn by the renderer after the
        field's optical blur, not in the constructor: the order of the random
        draws fixes the pixels of a seed (see ``GENERATOR_VERSION``).
        """
        shape = (self.size, self.size)
        self.er_network = ridges(self.rng, shape, 2.5 * self.s + 0.35, width=0.7)
        self.mt_network = ridges(self.rng, shape, 3.0 * self.s + 0.4, width=0.6)

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
        return np.clip(gaussian_blur(out, sigma) * max(2 * np.pi * sigma**2, 1.0), 0, 1)

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
        return np.clip(gaussian_blur(out, sigma) * max(2 * np.pi * sigma**2, 1.0), 0, 1)

    def per_cell(self, values):
        return np.where(self.inside, np.asarray(values, np.float32)[self.cidx], 0.0)

    def sharp(self, phase_field, power):
        return ipow(0.5 + 0.5 * np.cos(phase_field), power)

    def filaments(self):
        """Microtubules radiating from each cell's MTOC (the red channel's pattern).

        cos(28 * angle + phase) is computed as the real part of a complex power
        of the unit direction vector (no arctan2, which is slow).
        """
        if self._filaments is None:
            z = ipow(self.mdir, 28) * np.exp(1j * self.phase).astype(np.complex64)[self.cidx]
            f = ipow(0.5 + 0.5 * z.real.astype(np.float32), 6)
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
