import bisect
import functools
import logging
import re
import shutil
import struct
import subprocess
import unicodedata

from odoo import models

_logger = logging.getLogger(__name__)

# Kangxi radicals and the CJK radicals supplement: CJK fonts such as Noto Sans CJK draw most
# of them with the glyph of an ordinary character (⽇ and 日), and the PDF engine of
# wkhtmltopdf names each glyph after the lowest code point that uses it. The text layer of a
# Chinese PDF then holds radicals: it looks right but is neither searchable nor copyable.
RADICALS = range(0x2E80, 0x2FE0)

# Odoo's reports that carry the desk's own text (the cash-on-delivery box of the slip).
DESK_EXTENDED_REPORTS = ("stock.report_deliveryslip",)

TOUNICODE_REF = re.compile(rb"/ToUnicode (\d+) 0 R")
FONT_NAME = re.compile(rb"/BaseFont /([A-Za-z0-9+_-]+)")
HEX_CODE = re.compile(rb"<(2[EF][0-9A-Fa-f]{2})>")


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _run_wkhtmltopdf(self, bodies, report_ref=False, *args, **kwargs):
        """The desk's PDFs (and the delivery slip it extends) get a text layer of real
        characters (see RADICALS)."""
        pdf = super()._run_wkhtmltopdf(bodies, report_ref, *args, **kwargs)
        report = self._get_report(report_ref) if report_ref else self.browse()
        name = report.report_name or ""
        if pdf and (name.startswith("order_desk.") or name in DESK_EXTENDED_REPORTS):
            try:
                pdf = desk_fix_cjk_text_layer(pdf)
            except (ValueError, OSError, struct.error):
                # The PDF stays as wkhtmltopdf made it: readable, only its text layer is off.
                _logger.info(
                    "order_desk: the text layer of %s was left as is", report_ref
                )
        return pdf


def desk_fix_cjk_text_layer(pdf):
    """Rename radicals to the characters the fonts draw with the same glyph, in the
    uncompressed ToUnicode maps of ``pdf`` (what wkhtmltopdf writes). Four hex digits replace
    four: no offset of the file moves."""
    data = bytearray(pdf)
    for number in {int(n) for n in TOUNICODE_REF.findall(pdf)}:
        header = re.search(rb"\n%d 0 obj\s*<<(.*?)>>\s*stream\r?\n" % number, pdf, re.S)
        if not header or b"/Filter" in header.group(1):
            continue
        start = header.end()
        end = pdf.index(b"endstream", start)
        cmap = pdf[start:end]
        if not HEX_CODE.search(cmap):
            continue
        fixed = HEX_CODE.sub(
            functools.partial(
                _desk_rename, _desk_radical_map(_desk_font_of(pdf, number))
            ),
            cmap,
        )
        data[start:end] = fixed
    return bytes(data)


def _desk_rename(mapping, match):
    code = int(match.group(1), 16)
    return b"<%04X>" % mapping.get(code, code)


def _desk_font_of(pdf, tounicode):
    """PostScript name of the font whose ToUnicode map is object ``tounicode``."""
    for match in re.finditer(rb"<<[^<>]*?/ToUnicode %d 0 R[^<>]*?>>" % tounicode, pdf):
        name = FONT_NAME.search(match.group(0))
        if name:
            return name.group(1).decode().split("+")[-1]
    return ""


@functools.lru_cache(maxsize=16)
def _desk_radical_map(font_name):
    """{radical: character drawn with the same glyph} in the installed font ``font_name``;
    without the font (or fontconfig), the characters Unicode gives as the radicals'
    equivalents."""
    found = _desk_font_file(font_name) if font_name else None
    if found:
        try:
            return _desk_cmap_radicals(*found)
        except (OSError, ValueError, struct.error):
            _logger.info("order_desk: cannot read the cmap of %s", found[0])
    mapping = {}
    for code in RADICALS:
        normal = unicodedata.normalize("NFKC", chr(code))
        if len(normal) == 1 and ord(normal) not in RADICALS:
            mapping[code] = ord(normal)
    return mapping


def _desk_font_file(font_name):
    """(path, face index) of the installed font ``font_name`` (a PostScript name)."""
    if not shutil.which("fc-list"):
        return None
    result = subprocess.run(
        ["fc-list", f":postscriptname={font_name}", "file", "index"],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    line = result.stdout.strip().splitlines()[:1]
    match = re.match(r"(.+?): ?:?index=(\d+)", line[0]) if line else None
    return (match.group(1), int(match.group(2))) if match else None


def _desk_cmap_radicals(path, index):
    """Read the Unicode cmap (format 12 or 4) of face ``index`` of the font file ``path``
    and map each radical to the ordinary character that shares its glyph."""
    with open(path, "rb") as font_file:
        font = font_file.read()
    offset = 0
    if font[:4] == b"ttcf":
        offset = struct.unpack_from(">I", font, 12 + 4 * index)[0]
    num_tables = struct.unpack_from(">H", font, offset + 4)[0]
    cmap = None
    for table in range(num_tables):
        tag, _checksum, table_offset, _length = struct.unpack_from(
            ">4sIII", font, offset + 12 + 16 * table
        )
        if tag == b"cmap":
            cmap = table_offset
    if cmap is None:
        raise ValueError("no cmap")
    subtables = {}
    for record in range(struct.unpack_from(">H", font, cmap + 2)[0]):
        platform, encoding, sub_offset = struct.unpack_from(
            ">HHI", font, cmap + 4 + 8 * record
        )
        subtables[(platform, encoding)] = cmap + sub_offset
    groups = []  # (first code, last code, first glyph)
    for key in ((3, 10), (0, 4), (0, 6), (3, 1), (0, 3)):
        sub = subtables.get(key)
        if sub is None:
            continue
        kind = struct.unpack_from(">H", font, sub)[0]
        if kind == 12:
            count = struct.unpack_from(">I", font, sub + 12)[0]
            groups = [
                struct.unpack_from(">III", font, sub + 16 + 12 * group)
                for group in range(count)
            ]
            break
        if kind == 4 and not groups:
            groups = _desk_format4_groups(font, sub)
    glyph_of = {}
    for first, last, glyph in groups:
        for code in range(max(first, RADICALS.start), min(last, RADICALS.stop - 1) + 1):
            glyph_of[code] = glyph + code - first
    radicals_by_glyph = {}
    for code, glyph in glyph_of.items():
        radicals_by_glyph.setdefault(glyph, []).append(code)
    glyphs = sorted(radicals_by_glyph)
    mapping = {}
    for first, last, glyph in groups:
        if last < 0x3000:
            continue
        position = bisect.bisect_left(glyphs, glyph)
        while position < len(glyphs) and glyphs[position] <= glyph + last - first:
            glyph_id = glyphs[position]
            code = first + glyph_id - glyph
            for radical in radicals_by_glyph[glyph_id]:
                best = mapping.get(radical)
                # An ordinary CJK character first, then the lowest code point.
                rank = (not 0x4E00 <= code <= 0x9FFF, code)
                if best is None or rank < (not 0x4E00 <= best <= 0x9FFF, best):
                    mapping[radical] = code
            position += 1
    return mapping


def _desk_format4_groups(font, sub):
    """The (first, last, first glyph) runs of a format 4 cmap subtable whose glyphs follow
    each other (what a radical lookup needs)."""
    segments = struct.unpack_from(">H", font, sub + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", font, sub + 14)
    starts = struct.unpack_from(f">{segments}H", font, sub + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", font, sub + 16 + 4 * segments)
    range_base = sub + 16 + 6 * segments
    offsets = struct.unpack_from(f">{segments}H", font, range_base)
    groups = []
    for seg in range(segments):
        if offsets[seg]:
            for code in range(starts[seg], ends[seg] + 1):
                at = range_base + 2 * seg + offsets[seg] + 2 * (code - starts[seg])
                glyph = struct.unpack_from(">H", font, at)[0]
                if glyph:
                    groups.append((code, code, (glyph + deltas[seg]) % 65536))
        else:
            groups.append((starts[seg], ends[seg], (starts[seg] + deltas[seg]) % 65536))
    return groups
