#!/usr/bin/env python3
"""Seeds fuzz/corpus/documents/ from the sample mail: every attachment and body
part the extractors can read, prefixed with the selector byte the `documents`
target uses (0 docx, 1 odt, 2 pdf, 3 rtf, 4 html, 5 text), plus tiny PDF/RTF files.

Usage (from the repository root): python3 fuzz/seed_documents.py
"""
import email
import email.policy
import hashlib
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus" / "documents"

KIND = {"docx": 0, "odt": 1, "pdf": 2, "rtf": 3, "html": 4, "htm": 4, "txt": 5, "md": 5}
MIME = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 0,
    "application/vnd.oasis.opendocument.text": 1,
    "application/pdf": 2,
    "application/rtf": 3,
    "text/rtf": 3,
    "text/html": 4,
    "text/plain": 5,
}

PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R
  /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 44 >> stream
BT /F1 12 Tf 72 720 Td (Hello, desk.) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
6 0 obj << /Title (An op-ed) >> endobj
trailer << /Root 1 0 R /Info 6 0 R /Size 7 >>
%%EOF
"""

RTF = rb"""{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times;}}{\info{\title An op-ed}}
\f0\fs24 First paragraph with \'e9 and \u8211? dash.\par
{\b Bold} second paragraph.\par}
"""


def write(kind: int, data: bytes) -> None:
    blob = bytes([kind]) + data
    (OUT / hashlib.sha1(blob).hexdigest()).write_bytes(blob)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "tests" / "data" / "corpus").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in msg.walk():
            if part.is_multipart():
                continue
            name = part.get_filename() or ""
            kind = KIND.get(name.rsplit(".", 1)[-1].lower()) if "." in name else None
            if kind is None:
                kind = MIME.get(part.get_content_type())
            payload = part.get_payload(decode=True)
            if kind is not None and payload:
                write(kind, payload)
    write(2, PDF)
    write(3, RTF)


if __name__ == "__main__":
    main()
