#!/usr/bin/env python3
"""Builds the wrapped-mail fixtures the way the mail programs build them.

  python3 tests/data/wrapped/make_fixtures.py

- outlook-winmail.eml: Outlook (rich-text format) sending a .docx: the file
  travels inside winmail.dat, laid out per MS-OXTNEF (attributes with
  level, id, length, data and checksum; the attachment's MAPI properties).
- smime-opaque.eml: `openssl smime -sign -nodetach` over a multipart body,
  with a throwaway key and certificate made here.

Outputs are committed; rerunning gives the same article text (the S/MIME
signature bytes change with the fresh key).
"""

import base64
import email.policy
import io
import os
import struct
import subprocess
import tempfile
import zipfile
from email.message import EmailMessage

HERE = os.path.dirname(os.path.abspath(__file__))

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx(title, paragraphs):
    """A .docx with the parts Word writes: content types, relationships,
    the document and its core properties (where the title lives)."""
    body = "".join(
        f'<w:p><w:pPr><w:pStyle w:val="Normal"/></w:pPr><w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>'
        for p in paragraphs
    )
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>",
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>",
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W}"><w:body>{body}<w:sectPr/></w:body></w:document>',
        "docProps/core.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{title}</dc:title><dc:creator>Nadia Farah</dc:creator></cp:coreProperties>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text.encode("utf-8"))
    return out.getvalue()


# MS-OXTNEF 2.1.3: attribute = level, id (type << 16 | tag), length, data, checksum.
LVL_MESSAGE, LVL_ATTACHMENT = 1, 2


def attribute(level, attr_id, data):
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attr_id, len(data)) + data + struct.pack("<H", checksum)


def mapi_long(tag, value):
    return struct.pack("<HHI", 0x0003, tag, value)


def mapi_string8(tag, text):
    value = text.encode("cp1252") + b"\0"
    padded = value + b"\0" * (-len(value) % 4)
    return struct.pack("<HHII", 0x001E, tag, 1, len(value)) + padded


def mapi_unicode(tag, text):
    value = text.encode("utf-16-le") + b"\0\0"
    padded = value + b"\0" * (-len(value) % 4)
    return struct.pack("<HHII", 0x001F, tag, 1, len(value)) + padded


def mapi_binary(tag, data):
    padded = data + b"\0" * (-len(data) % 4)
    return struct.pack("<HHII", 0x0102, tag, 1, len(data)) + padded


def winmail(document, long_name, short_name):
    date = struct.pack("<7H", 2026, 12, 4, 16, 42, 7, 5)  # attDate layout
    out = struct.pack("<IH", 0x223E9F78, 0x0A1B)
    out += attribute(LVL_MESSAGE, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attribute(LVL_MESSAGE, 0x00069007, struct.pack("<II", 1252, 0))  # attOemCodepage
    out += attribute(LVL_MESSAGE, 0x00078008, b"IPM.Microsoft Mail.Note\0")  # attMessageClass
    out += attribute(LVL_MESSAGE, 0x00038005, date)  # attDateSent
    # The attachment: rendering data first (it opens the attachment's attributes).
    out += attribute(LVL_ATTACHMENT, 0x00069002, struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0))
    out += attribute(LVL_ATTACHMENT, 0x00018010, short_name.encode("cp1252") + b"\0")
    out += attribute(LVL_ATTACHMENT, 0x00038013, date)  # attAttachModifyDate
    out += attribute(LVL_ATTACHMENT, 0x0006800F, document)
    props = [
        mapi_long(0x3705, 1),  # PR_ATTACH_METHOD: by value
        mapi_binary(0x0FF9, b"\x01" * 16),  # PR_RECORD_KEY
        mapi_string8(0x3704, short_name),  # PR_ATTACH_FILENAME
        mapi_string8(0x3703, ".docx"),  # PR_ATTACH_EXTENSION
        mapi_unicode(0x3707, long_name),  # PR_ATTACH_LONG_FILENAME
        mapi_string8(
            0x370E,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),  # PR_ATTACH_MIME_TAG
        mapi_long(0x370B, 0xFFFFFFFF),  # PR_RENDERING_POSITION
    ]
    out += attribute(LVL_ATTACHMENT, 0x00069005, struct.pack("<I", len(props)) + b"".join(props))
    return out


ARTICLE = [
    "The harbour at Saida used to wake before the town did.",
    "Fishermen mended nets under the sea wall while the first bakers lit their ovens.",
    "Today the quay is fenced off and the boats are sold for scrap.",
    "We can still choose to give the harbour back to the people who made it live.",
]


def outlook_winmail():
    document = docx("The harbour we lost", ARTICLE)
    tnef = winmail(document, "The harbour we lost – final.docx", "THEHAR~1.DOC")
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = '"Farah, Nadia" <nadia.farah@example.com>'
    msg["To"] = "Op-Ed Desk <oped@desk.example>"
    msg["Subject"] = "Op-Ed: The harbour we lost"
    msg["Date"] = "Fri, 4 Dec 2026 16:42:07 +0000"
    msg["Message-ID"] = "<AM0PR03MB4564B1F2E5A3@AM0PR03MB4564.outlook.com>"
    msg["X-MS-Has-Attach"] = "yes"
    msg["X-MS-TNEF-Correlator"] = "<AM0PR03MB4564B1F2E5A3@AM0PR03MB4564.outlook.com>"
    msg["Content-Language"] = "en-US"
    msg.set_content(
        "Dear editors,\n\nPlease find my opinion piece on the Saida harbour attached.\n\nKind regards,\nNadia Farah\n",
        cte="quoted-printable",
    )
    msg.add_attachment(
        tnef, maintype="application", subtype="ms-tnef", filename="winmail.dat"
    )
    tnef_part = msg.get_payload()[1]
    del tnef_part["MIME-Version"]
    tnef_part.set_param("name", "winmail.dat")
    return msg.as_bytes()


SIGNED_ARTICLE = [
    "Night buses are the city's quiet promise to its workers.",
    "Cutting them saves little money and strands thousands of nurses and cleaners.",
    "The council should restore every route before the winter timetable starts.",
]


def smime_opaque():
    inner = EmailMessage(policy=email.policy.SMTP)
    inner.set_content("Hello desk,\n\nMy op-ed on night buses is attached.\n\nYusuf\n")
    inner.add_attachment(
        docx("Keep the night buses", SIGNED_ARTICLE),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="night-buses.docx",
    )
    del inner["MIME-Version"]
    with tempfile.TemporaryDirectory() as tmp:
        key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=Yusuf Demir/emailAddress=yusuf.demir@example.org",
             "-keyout", key, "-out", cert],
            check=True, capture_output=True,
        )
        signed = subprocess.run(
            ["openssl", "smime", "-sign", "-nodetach", "-signer", cert, "-inkey", key,
             "-from", "Yusuf Demir <yusuf.demir@example.org>",
             "-to", "Op-Ed Desk <oped@desk.example>",
             "-subject", "Op-Ed: Keep the night buses"],
            input=inner.as_bytes(), check=True, capture_output=True,
        ).stdout
    head = (
        "Date: Sat, 5 Dec 2026 08:10:00 +0100\r\n"
        "Message-ID: <smime-opaque.1@example.org>\r\n"
    ).encode()
    return head + signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


if __name__ == "__main__":
    write("outlook-winmail.eml", outlook_winmail())
    write("smime-opaque.eml", smime_opaque())
