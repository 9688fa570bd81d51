#!/usr/bin/env python3
"""Writes the seed files of fuzz_dicom (tests/fuzz/fuzz_dicom.cpp) into corpus/dicom/: small DICOM Part 10
files built byte by byte, one per encoding the structural check walks.  Standard library only; run from
anywhere."""
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "dicom")
LONG = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
UNDEFINED = 0xFFFFFFFF


def even(value, pad=b" "):
    return value + pad if len(value) % 2 else value


def explicit(group, element, vr, value, big=False, length=None):
    e = ">" if big else "<"
    n = len(value) if length is None else length
    head = struct.pack(e + "HH", group, element) + vr
    head += struct.pack(e + "HI", 0, n) if vr in LONG else struct.pack(e + "H", n)
    return head + value


def implicit(group, element, value, length=None):
    return struct.pack("<HHI", group, element, len(value) if length is None else length) + value


def item(body, big=False, defined=True):
    e = ">" if big else "<"
    if defined:
        return struct.pack(e + "HHI", 0xFFFE, 0xE000, len(body)) + body
    return struct.pack(e + "HHI", 0xFFFE, 0xE000, UNDEFINED) + body + struct.pack(e + "HHI", 0xFFFE, 0xE00D, 0)


def seq_end(big=False):
    return struct.pack((">" if big else "<") + "HHI", 0xFFFE, 0xE0DD, 0)


def part10(syntax, data_set):
    meta = explicit(0x0002, 0x0001, b"OB", b"\x00\x01")
    meta += explicit(0x0002, 0x0002, b"UI", even(b"1.2.840.10008.5.1.4.1.1.2", b"\x00"))
    meta += explicit(0x0002, 0x0003, b"UI", even(b"1.2.3.4", b"\x00"))
    meta += explicit(0x0002, 0x0010, b"UI", even(syntax, b"\x00"))
    group_length = explicit(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta)))
    return b"\x00" * 128 + b"DICM" + group_length + meta + data_set


def image(big=False, pixel_data=None):
    e = ">" if big else "<"
    ds = explicit(0x0008, 0x0060, b"CS", b"CT", big)
    ds += explicit(0x0028, 0x0002, b"US", struct.pack(e + "H", 1), big)
    ds += explicit(0x0028, 0x0010, b"US", struct.pack(e + "H", 2), big)
    ds += explicit(0x0028, 0x0011, b"US", struct.pack(e + "H", 2), big)
    ds += explicit(0x0028, 0x0030, b"DS", b"0.5\\0.5 ", big)
    ds += explicit(0x0028, 0x0100, b"US", struct.pack(e + "H", 16), big)
    return ds + (pixel_data or explicit(0x7FE0, 0x0010, b"OW", struct.pack(e + "4h", 1, -2, 3, -4), big))


def main():
    seeds = {}
    seeds["explicit_le.dcm"] = part10(b"1.2.840.10008.1.2.1", image())
    seeds["explicit_be.dcm"] = part10(b"1.2.840.10008.1.2.2", image(big=True))
    ids = implicit(0x0008, 0x0060, b"MR") + implicit(0x0028, 0x0010, struct.pack("<H", 2))
    ids += implicit(0x0008, 0x1140, item(implicit(0x0008, 0x1150, b"1.2\x00"), defined=False) + seq_end(),
                    UNDEFINED)
    ids += implicit(0x7FE0, 0x0010, struct.pack("<4h", 5, 6, 7, 8))
    seeds["implicit_le_sequence.dcm"] = part10(b"1.2.840.10008.1.2", ids)
    nested = explicit(0x0008, 0x1150, b"UI", b"1.2\x00")
    sq = explicit(0x0008, 0x1140, b"SQ", item(nested) + item(nested, defined=False), length=None)
    un = explicit(0x0009, 0x1010, b"UN", item(implicit(0x0009, 0x1011, b"ab"), defined=False) + seq_end(),
                  length=UNDEFINED)
    rle = struct.pack("<16I", 1, 64, *([0] * 14)) + b"\x03\x01\x02\x03\x04\x00"  # 1 segment at offset 64
    fragments = item(b"") + item(rle) + seq_end()
    encapsulated = explicit(0x7FE0, 0x0010, b"OB", fragments, length=UNDEFINED)
    seeds["rle_sequences.dcm"] = part10(b"1.2.840.10008.1.2.5", sq + un + image(pixel_data=encapsulated))
    # JPEG-LS (SOF55) and JPEG 2000 (SIZ) frame headers for 2 x 2 pixels of 1 component of 16 bits.
    sof55 = b"\xFF\xD8\xFF\xF7" + struct.pack(">HBHHB", 11, 16, 2, 2, 1) + b"\x01\x11\x00\xFF\xD9"
    siz = b"\xFF\x4F\xFF\x51" + struct.pack(">HH8IH", 41, 0, 2, 2, 0, 0, 2, 2, 0, 0, 1) + b"\x0F\x01\x01"
    for name, syntax, stream in (("jpeg_ls.dcm", b"1.2.840.10008.1.2.4.80", sof55),
                                 ("jpeg_2000.dcm", b"1.2.840.10008.1.2.4.90", siz + b"\xFF\xD9")):
        pixel_data = explicit(0x7FE0, 0x0010, b"OB", item(b"") + item(even(stream, b"\x00")) + seq_end(),
                              length=UNDEFINED)
        seeds[name] = part10(syntax, image(pixel_data=pixel_data))
    for name, data in seeds.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        print(name, len(data), "bytes")


if __name__ == "__main__":
    main()
