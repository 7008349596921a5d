#!/usr/bin/env python3
"""Writes the mail of this folder as the named mail programs write it.

Run from this folder: python3 make.py. The .eml files are kept in the
repository (the tests read them); this script says how each was made, so a
case can be changed and made again. Every message is assembled with
Python's `email` package; the OpenPGP signature is made by gpg with a
throwaway key; the .docx is a zip laid out as Word lays one out; the PDF is
made from such a .docx by LibreOffice (`libreoffice --headless --convert-to pdf`).
"""

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from email import policy
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.header import Header
from email.utils import formataddr

HERE = os.path.dirname(os.path.abspath(__file__))
# A 1x1 JPEG: phones attach real photos, but size does not matter here.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffda0008010100003f00d2cf20ffd9"
)

PORTS = [
    "The port of Misrata handles more cargo than at any time since 2011, yet the road that "
    "leaves it towards the south has not been resurfaced in fifteen years.",
    "Every lorry that breaks an axle in the potholes near Bani Walid costs a trader a week, "
    "and every week of delay is paid for by a family in Sabha at the bakery counter.",
    "We do not need another conference on logistics. We need a budget line, a contractor "
    "and a deadline that a minister is willing to be judged by.",
    "Until then, the south will keep paying for the north's congestion.",
]


def flow(paragraphs, width=72, delsp=False):
    """RFC 3676 format=flowed, as Thunderbird (and, with DelSp=yes, Apple
    Mail) write it: soft breaks end in a space, lines that start with a
    space, '>' or 'From ' are space-stuffed."""
    lines = []
    for paragraph in paragraphs:
        words = paragraph.split(" ")
        line = ""
        for word in words:
            candidate = word if not line else line + " " + word
            if len(candidate) > width - 1 and line:
                # A soft break: the line ends in the space between words;
                # DelSp=yes adds one more space that the reader deletes.
                lines.append(line + " " + (" " if delsp else ""))
                line = word
            else:
                line = candidate
        lines.append(line)
        lines.append("")
    stuffed = [
        " " + l if l.startswith((" ", ">", "From ")) else l for l in lines[:-1]
    ]
    return "\r\n".join(stuffed) + "\r\n"


def text_part(body, charset="utf-8", cte="8bit", **params):
    part = MIMENonMultipart("text", "plain", charset=charset, **params)
    if cte == "quoted-printable":
        import quopri

        payload = quopri.encodestring(body.encode(charset)).decode("ascii")
    else:
        payload = body
    part.set_payload(payload)
    part["Content-Transfer-Encoding"] = cte
    return part


def headers(msg, sender, subject, message_id, date="Mon, 30 Nov 2026 09:12:00 +0100", to="Op-Ed Desk <oped@desk.example>", extra=()):
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = message_id
    for name, value in extra:
        msg[name] = value
    return msg


def write(name, msg):
    def mime(header):
        return header[0].lower().startswith(("content-", "mime-version"))

    for part in msg.walk():
        if part["From"] is not None:
            # A whole message (this one, or one it forwards): addressing
            # headers first, the MIME ones last, as mail programs write them.
            part._headers = [h for h in part._headers if not mime(h)] + [h for h in part._headers if mime(h)]
        elif part["MIME-Version"] is not None:
            # Body parts carry no MIME-Version of their own.
            del part["MIME-Version"]
    data = msg.as_bytes(policy=policy.SMTP)
    with open(os.path.join(HERE, name), "wb") as out:
        out.write(data)


def docx(paragraphs, bold=(), rtl=False):
    """Paragraphs as Word writes them; those whose index is in `bold` in
    bold (a title), and with `rtl` each paragraph and run right to left, as
    Word marks Arabic text."""
    def paragraph(n, text):
        ppr = "<w:pPr><w:bidi/></w:pPr>" if rtl else ""
        rpr = ("<w:b/>" if n in bold else "") + ("<w:rtl/>" if rtl else "")
        rpr = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
        return f'<w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>'

    body = "".join(paragraph(n, p) for n, p in enumerate(paragraphs))
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr("word/document.xml", document)
    return buffer.getvalue()


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
AMAL = formataddr(("Amal Haddad", "amal.haddad@example.org"))
OMAR = formataddr(("Omar Salem", "omar.salem@example.com"))


def thunderbird_flowed():
    msg = text_part(flow(PORTS), format="flowed")
    headers(msg, AMAL, "Op-Ed: Ports, not checkpoints", "<3f1c2a7e-tb-flowed@example.org>",
            extra=[("User-Agent", "Mozilla Thunderbird"), ("Content-Language", "en-GB")])
    write("01-thunderbird-flowed.eml", msg)


def apple_flowed_delsp():
    paragraphs = PORTS[:3] + [
        "The figures are in the ministry's own report: "
        "https://transport.example.gov.ly/reports/2026/southern-corridor-maintenance-backlog-final.pdf",
    ]
    body = flow(paragraphs, delsp=True)
    # Apple Mail breaks a word longer than the line too, and DelSp=yes
    # joins it back with no space.
    url = "https://transport.example.gov.ly/reports/2026/southern-corridor-maintenance-backlog-final.pdf"
    body = body.replace(url, url[:60] + " \r\n" + url[60:])
    msg = text_part(body, charset="us-ascii", cte="7bit", format="flowed", delsp="yes")
    headers(msg, AMAL, "Op-Ed: The southern corridor", "<A1B2C3D4-5E6F-4A1B-9C8D-apple-delsp@example.org>",
            extra=[("X-Mailer", "Apple Mail (2.3654.120.0.1.13)")])
    msg.replace_header("MIME-Version", "1.0 (Mac OS X Mail 16.0 \\(3654.120.0.1.13\\))")
    write("02-apple-flowed-delsp.eml", msg)


def thunderbird_pgp_signed():
    home = tempfile.mkdtemp()
    try:
        gpg = ["gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
        subprocess.run(gpg + ["--quick-gen-key", "Amal Haddad <amal.haddad@example.org>", "ed25519", "sign", "never"],
                       check=True, capture_output=True)
        inner = text_part(flow(PORTS[1:]), format="flowed")
        del inner["MIME-Version"]
        signed_bytes = inner.as_bytes(policy=policy.SMTP)
        signature = subprocess.run(gpg + ["--armor", "--detach-sign", "--digest-algo", "SHA256"],
                                   input=signed_bytes, check=True, capture_output=True).stdout
    finally:
        shutil.rmtree(home, ignore_errors=True)
    msg = MIMEMultipart("signed", protocol="application/pgp-signature", micalg="pgp-sha256",
                        boundary="------------3kqVbRm0sXyZ1tQe9mNdLw2p")
    msg.preamble = "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)"
    msg.attach(inner)
    sig = MIMEBase("application", "pgp-signature", name="OpenPGP_signature.asc")
    sig.set_payload(signature.decode("ascii"))
    sig["Content-Description"] = "OpenPGP digital signature"
    sig["Content-Disposition"] = 'attachment; filename="OpenPGP_signature.asc"'
    msg.attach(sig)
    headers(msg, AMAL, "Op-Ed: Bread prices in Sabha", "<9d2f77a0-tb-signed@example.org>",
            extra=[("User-Agent", "Mozilla Thunderbird")])
    write("03-thunderbird-pgp-signed-flowed.eml", msg)


def iphone_photos():
    msg = MIMEMultipart("mixed", boundary="Apple-Mail-7C1E2D3F-9A8B-4C5D-8E7F-112233445566")
    def plain(text):
        part = text_part(text, charset="us-ascii", cte="7bit")
        return part
    msg.attach(plain(PORTS[0] + "\r\n\r\n"))
    for n, text in [(412, PORTS[1] + "\r\n\r\n" + PORTS[2] + "\r\n"), (413, PORTS[3] + "\r\n\r\nSent from my iPhone")]:
        image = MIMEImage(JPEG, "jpeg", name=f"IMG_0{n}.jpeg")
        image.replace_header("Content-Disposition", f'inline; filename="IMG_0{n}.jpeg"') if image["Content-Disposition"] else image.add_header("Content-Disposition", "inline", filename=f"IMG_0{n}.jpeg")
        image["Content-Id"] = f"<2C8B9A3E-{n}-4F0A-B6D1-5E7C9F1A2B3C>"
        msg.attach(image)
        msg.attach(plain("\r\n" + text))
    headers(msg, AMAL, "Op-Ed: Ports, not checkpoints (photos)", "<5E2A9B71-3C4D-4E5F-A6B7-iphone@example.org>",
            extra=[("X-Mailer", "iPhone Mail (22B91)")])
    msg.replace_header("MIME-Version", "1.0 (1.0)")
    write("04-iphone-photos.eml", msg)


FORWARDED = PORTS


def gmail_forward():
    note = "Dear editors,\r\n\r\nMy colleague asked me to send you her piece; she has no access to her mail this week.\r\n\r\nOmar\r\n"
    block = (
        "\r\n---------- Forwarded message ---------\r\n"
        "From: Amal Haddad <amal.haddad@example.org>\r\n"
        "Date: Mon, 30 Nov 2026 at 09:12\r\n"
        "Subject: Op-Ed: Ports, not checkpoints\r\n"
        "To: Omar Salem <omar.salem@example.com>\r\n\r\n\r\n"
        + "\r\n\r\n".join(FORWARDED) + "\r\n"
    )
    html = (
        '<div dir="ltr"><div>Dear editors,</div><div><br></div><div>My colleague asked me to send you her piece; '
        "she has no access to her mail this week.</div><div><br></div><div>Omar</div><br>"
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>'
        'From: <strong class="gmail_sendername" dir="auto">Amal Haddad</strong> <span dir="auto">&lt;'
        '<a href="mailto:amal.haddad@example.org">amal.haddad@example.org</a>&gt;</span><br>'
        "Date: Mon, 30 Nov 2026 at 09:12<br>Subject: Op-Ed: Ports, not checkpoints<br>"
        "To: Omar Salem &lt;omar.salem@example.com&gt;<br></div><br><br>"
        + "".join(f'<div dir="ltr">{p}</div><div><br></div>' for p in FORWARDED)
        + "</div></div>\r\n"
    )
    msg = MIMEMultipart("alternative", boundary="000000000000a1b2c3d4e5f60718")
    msg.attach(text_part(note + block, charset="UTF-8", cte="quoted-printable"))
    h = MIMEText(html, "html", "UTF-8")
    del h["Content-Transfer-Encoding"]
    h.set_payload(__import__("quopri").encodestring(html.encode()).decode())
    h["Content-Transfer-Encoding"] = "quoted-printable"
    msg.attach(h)
    headers(msg, OMAR, "Fwd: Op-Ed: Ports, not checkpoints", "<CAOmar+fwd=gmail-1234567890abcdef@mail.gmail.com>")
    write("05-gmail-forward.eml", msg)


def outlook_forward():
    body = (
        "Please see the piece below from one of our members, for your opinion pages.\r\n\r\n"
        "Regards,\r\nKarim Mansour\r\nCommunications, Chamber of Commerce\r\n"
        "[cid:image001.png@01DB4A2C.3F5E6D70]\r\n\r\n"
        "From: Amal Haddad <amal.haddad@example.org>\r\n"
        "Sent: Monday, November 30, 2026 9:12 AM\r\n"
        "To: Karim Mansour <karim.mansour@chamber.example>\r\n"
        "Subject: Op-Ed: Ports, not checkpoints\r\n\r\n"
        + "\r\n\r\n".join(FORWARDED) + "\r\n\r\n"
    )
    msg = MIMEMultipart("alternative", boundary="_000_DB9PR10MB1234567ABCDEFDB9PR10MB1234_")
    msg.attach(text_part(body, charset="us-ascii", cte="quoted-printable"))
    html = "<html><body><p class=MsoNormal>Please see the piece below.</p></body></html>"
    msg.attach(MIMEText(html, "html", "us-ascii"))
    headers(msg, formataddr(("Karim Mansour", "karim.mansour@chamber.example")),
            "FW: Op-Ed: Ports, not checkpoints",
            "<DB9PR10MB1234567ABCDEF0123456789@DB9PR10MB1234.EURPRD10.PROD.OUTLOOK.COM>",
            extra=[("Thread-Topic", "Op-Ed: Ports, not checkpoints"), ("Thread-Index", "AdsC9x0a1b2c3d4e5f6A=="),
                   ("X-MS-Has-Attach", "yes"), ("X-MS-TNEF-Correlator", "")])
    write("06-outlook-forward.eml", msg)


def apple_forward():
    body = (
        "For your pages, from a friend in Sabha.\r\n\r\nSent from my iPad\r\n\r\n"
        "Begin forwarded message:\r\n\r\n"
        "From: Amal Haddad <amal.haddad@example.org>\r\n"
        "Subject: Op-Ed: Ports, not checkpoints\r\n"
        "Date: 30 November 2026 at 09:12:00 CET\r\n"
        "To: Omar Salem <omar.salem@example.com>\r\n\r\n"
        + "\r\n\r\n".join(FORWARDED) + "\r\n"
    )
    msg = text_part(body, charset="utf-8", cte="quoted-printable")
    headers(msg, OMAR, "Fwd: Op-Ed: Ports, not checkpoints", "<F1E2D3C4-B5A6-4978-8695-apple-fwd@example.com>",
            extra=[("X-Mailer", "iPad Mail (22B91)")])
    msg.replace_header("MIME-Version", "1.0 (1.0)")
    write("07-apple-forward.eml", msg)


def outlook_forward_as_attachment():
    inner = MIMEMultipart("mixed", boundary="_004_inner_DB9PR10MB7654_")
    inner.attach(text_part("Dear Karim,\r\n\r\nPlease find my op-ed attached.\r\n\r\nAmal\r\n", charset="us-ascii", cte="7bit"))
    document = MIMEBase("application", "vnd.openxmlformats-officedocument.wordprocessingml.document",
                        name="Ports-not-checkpoints.docx")
    document.set_payload(docx(["Ports, not checkpoints"] + FORWARDED))
    from email import encoders
    encoders.encode_base64(document)
    document.add_header("Content-Disposition", "attachment", filename="Ports-not-checkpoints.docx")
    inner.attach(document)
    headers(inner, AMAL, "Op-Ed submission", "<DB9PR10MB7654-inner@example.org>",
            to=formataddr(("Karim Mansour", "karim.mansour@chamber.example")))

    outer = MIMEMultipart("mixed", boundary="_005_outer_DB9PR10MB1234_")
    outer.attach(text_part("Forwarding Amal's piece, as she asked.\r\n\r\nKarim\r\n", charset="us-ascii", cte="quoted-printable"))
    attached = MIMEMessage(inner)
    attached.add_header("Content-Disposition", "attachment", filename="Op-Ed submission.eml")
    outer.attach(attached)
    headers(outer, formataddr(("Karim Mansour", "karim.mansour@chamber.example")), "FW: Op-Ed submission",
            "<DB9PR10MB1234-outer-attach@DB9PR10MB1234.EURPRD10.PROD.OUTLOOK.COM>",
            extra=[("X-MS-Has-Attach", "yes")])
    write("08-outlook-forward-as-attachment.eml", outer)


def undeclared_8bit():
    text = (
        "Caf\u00e9 owners in Tripoli say the \u201cnew\u201d tax costs them \u20ac300 a month.\r\n\r\n"
        "Na\u00efve reforms\u2014however well meant\u2014end up on the bill of the poorest.\r\n"
    )
    raw = (
        "From: Amal Haddad <amal.haddad@example.org>\r\n"
        "To: oped@desk.example\r\n"
        "Subject: Op-Ed: Taxing the cafes\r\n"
        "Date: Mon, 30 Nov 2026 09:12:00 +0100\r\n"
        "Message-ID: <000a01db4a2c$3f5e6d70$0201a8c0@amalpc>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "X-Mailer: Microsoft Outlook Express 6.00.2900.5512\r\n\r\n"
    ).encode("ascii") + text.encode("cp1252")
    with open(os.path.join(HERE, "09-undeclared-8bit.eml"), "wb") as out:
        out.write(raw)


def cjk_subject():
    text = "港口的货物从未如此之多，而通往南方的道路却已十五年没有翻修。\r\n\r\n在此之前，南方将继续为北方的拥堵买单。\r\n"
    msg = text_part(text, charset="UTF-8", cte="base64")
    msg.set_payload(__import__("base64").encodebytes(text.encode()).decode())
    headers(msg, formataddr(("李明", "li.ming@example.cn")), Header("【Op-Ed】港口的未来", "utf-8").encode(),
            "<20261130091200.cjk@example.cn>")
    write("10-cjk-subject.eml", msg)


def reply_with_gmail_quote():
    body = (
        "\r\n\r\n".join(PORTS) + "\r\n\r\n"
        "-- \r\nAmal Haddad\r\nEconomist, Sabha\r\n\r\n"
        "On Fri, Nov 27, 2026 at 4:05 PM Sara Editor <sara.editor@paper.example> wrote:\r\n\r\n"
        "> Dear Amal,\r\n>\r\n> We are looking for 800 words on the southern roads. Could you send us\r\n"
        "> something by Monday?\r\n>\r\n> Sara\r\n>\r\n"
    )
    msg = MIMEMultipart("alternative", boundary="000000000000f0e1d2c3b4a59687")
    msg.attach(text_part(body, charset="UTF-8", cte="quoted-printable"))
    html = "<div dir=\"ltr\">" + "".join(f"<div>{p}</div><div><br></div>" for p in PORTS) + "</div>"
    msg.attach(MIMEText(html, "html", "UTF-8"))
    headers(msg, AMAL, "Re: Op-Ed: Ports, not checkpoints", "<CAAmal+reply=quote-0987654321@mail.gmail.com>",
            extra=[("In-Reply-To", "<a1b2c3-call-for-pieces@paper.example>"),
                   ("References", "<a1b2c3-call-for-pieces@paper.example>")])
    write("11-reply-gmail-quote.eml", msg)


def reply_with_outlook_quote():
    body = (
        "\r\n\r\n".join(PORTS) + "\r\n\r\n"
        "Amal Haddad\r\n[cid:image001.png@01DB4A2C.3F5E6D70]\r\n\r\n"
        "________________________________\r\n"
        "From: Sara Editor <sara.editor@paper.example>\r\n"
        "Sent: Friday, November 27, 2026 4:05 PM\r\n"
        "To: Amal Haddad <amal.haddad@example.org>\r\n"
        "Subject: Op-Ed: call for pieces on the southern roads\r\n\r\n"
        "Dear Amal,\r\n\r\nWe are looking for 800 words on the southern roads.\r\n\r\nSara\r\n"
    )
    msg = MIMEMultipart("alternative", boundary="_000_AM0PR10MB2345678ABCDEFAM0PR10MB2345_")
    msg.attach(text_part(body, charset="utf-8", cte="quoted-printable"))
    msg.attach(MIMEText("<html><body><p>" + "</p><p>".join(PORTS) + "</p></body></html>", "html", "utf-8"))
    headers(msg, AMAL, "RE: Op-Ed: Ports, not checkpoints",
            "<AM0PR10MB2345678ABCDEF-reply@AM0PR10MB2345.EURPRD10.PROD.OUTLOOK.COM>",
            extra=[("In-Reply-To", "<b2c3d4-call-for-pieces@paper.example>"),
                   ("Thread-Topic", "Op-Ed: call for pieces on the southern roads")])
    write("12-reply-outlook-quote.eml", msg)


def quoted_printable_html(html):
    part = MIMEText(html, "html", "UTF-8")
    del part["Content-Transfer-Encoding"]
    part.set_payload(__import__("quopri").encodestring(html.encode()).decode())
    part["Content-Transfer-Encoding"] = "quoted-printable"
    return part


def gmail_div_paragraphs():
    # Gmail's composer writes each line as a <div> and a blank line as <div><br></div>.
    plain = "\r\n\r\n".join(PORTS) + "\r\n"
    html = '<div dir="ltr">' + '<div><br></div>'.join(f"<div>{p}</div>" for p in PORTS) + "</div>\r\n"
    msg = MIMEMultipart("alternative", boundary="000000000000f0e1d2c3b4a59687")
    msg.attach(text_part(plain, charset="UTF-8", cte="quoted-printable"))
    msg.attach(quoted_printable_html(html))
    headers(msg, AMAL, "Op-Ed: Ports, not checkpoints", "<CAAmal+divs=gmail-5566778899aabbcc@mail.gmail.com>")
    write("13-gmail-div-paragraphs.eml", msg)


def yahoo_div_paragraphs():
    # Yahoo wraps the message in a styled <div> and marks each line's direction.
    plain = "\r\n\r\n".join(PORTS) + "\r\n"
    line = '<div dir="ltr" data-setdir="false">{}</div>'
    html = (
        '<html><head></head><body><div class="ydp3f1a2b3cyahoo-style-wrap" '
        'style="font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:16px;">'
        + line.format("<br>").join(line.format(p) for p in PORTS)
        + "</div></body></html>\r\n"
    )
    msg = MIMEMultipart("alternative", boundary="----=_Part_1234567_890123456.1764492720000")
    msg.attach(text_part(plain, charset="UTF-8", cte="7bit"))
    msg.attach(quoted_printable_html(html))
    headers(msg, OMAR, "Op-Ed: Ports, not checkpoints", "<1234567890.1234567.1764492720000@mail.yahoo.com>",
            extra=[("X-Mailer", "WebService/1.1.24652 YMailNorrin")])
    write("14-yahoo-div-paragraphs.eml", msg)


def libreoffice_pdf():
    # A .docx with Word's default paragraph spacing (8 pt after, 1.08 lines),
    # turned into a PDF by LibreOffice as an author's "Export as PDF" does.
    spacing = '<w:pPr><w:spacing w:after="160" w:line="259" w:lineRule="auto"/></w:pPr>'
    body = "".join(f'<w:p>{spacing}<w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>' for p in PORTS)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(os.path.join(tmp, "Ports-not-checkpoints.docx"), "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(
                "[Content_Types].xml",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/word/document.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
            )
            z.writestr(
                "_rels/.rels",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                'Target="word/document.xml"/></Relationships>',
            )
            z.writestr("word/document.xml", document)
        subprocess.run(
            ["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, os.path.join(tmp, "Ports-not-checkpoints.docx")],
            check=True, capture_output=True,
        )
        with open(os.path.join(tmp, "Ports-not-checkpoints.pdf"), "rb") as f:
            pdf = f.read()
    msg = MIMEMultipart("mixed", boundary="------------0a1b2c3d4e5f6a7b8c9d0e1f")
    msg.attach(text_part("Dear editors,\r\n\r\nMy piece is attached as a PDF.\r\n\r\nAmal\r\n"))
    attachment = MIMEBase("application", "pdf", name="Ports-not-checkpoints.pdf")
    attachment.set_payload(pdf)
    __import__("email.encoders").encoders.encode_base64(attachment)
    attachment.add_header("Content-Disposition", "attachment", filename="Ports-not-checkpoints.pdf")
    msg.attach(attachment)
    headers(msg, AMAL, "Op-Ed: Ports, not checkpoints", "<b7c8d9e0-pdf-4a5b-libreoffice@example.org>",
            extra=[("User-Agent", "Mozilla Thunderbird")])
    write("15-libreoffice-pdf.eml", msg)


ELECTIONS = [
    "لم تعد الانتخابات في ليبيا مطلباً شعبياً فحسب، بل صارت شرطاً لبقاء الدولة نفسها بعد عقد من الانقسام.",
    "فالمؤسسات المنقسمة لا تستطيع أن تضع ميزانية واحدة، ولا أن تحاسب أحداً على إنفاقها.",
    "إن توحيد الميزانية هو الخطوة الأولى نحو انتخابات يثق الناس بنتائجها.",
]


def word_arabic_title_byline():
    # The author's office sends the .docx: its title again in bold (spelt
    # with the hamza the subject leaves out), then "بقلم: …", then the piece;
    # the subject carries "مقال رأي" beside the marker.
    document = MIMEBase("application", "vnd.openxmlformats-officedocument.wordprocessingml.document",
                        name="elections.docx")
    document.set_payload(docx(["مستقبل الإنتخابات في ليبيا", "بقلم: د. سالم الورفلي"] + ELECTIONS,
                              bold={0}, rtl=True))
    __import__("email.encoders").encoders.encode_base64(document)
    document.add_header("Content-Disposition", "attachment", filename="elections.docx")
    msg = MIMEMultipart("mixed", boundary="------------5d6e7f8091a2b3c4d5e6f708")
    msg.attach(text_part("السادة المحررين،\r\n\r\nمرفق مقال الدكتور سالم للنشر في صفحة الرأي.\r\n\r\nمع التحية\r\n", cte="quoted-printable"))
    msg.attach(document)
    headers(msg, formataddr(("مكتب الدكتور سالم", "office.warfalli@example.ly")),
            Header("Op-Ed: مقال رأي: مستقبل الانتخابات في ليبيا", "utf-8").encode(),
            "<e1f2a3b4-word-arabic-byline@example.ly>",
            extra=[("User-Agent", "Microsoft Outlook 16.0")])
    write("16-word-arabic-title-byline.eml", msg)


def gmail_pasted_title_byline():
    # A press office pastes a member's piece into Gmail as it stands in the
    # document: the title in bold (Gmail's plain text writes it *between
    # stars*), the byline with the author's affiliation, then the text.
    title, byline = "Ports, not checkpoints", "By Amal Haddad, economist in Sabha"
    plain = f"*{title}*\r\n{byline}\r\n\r\n" + "\r\n\r\n".join(PORTS) + "\r\n"
    html = (
        f'<div dir="ltr"><div><b>{title}</b></div><div>{byline}</div><div><br></div>'
        + '<div><br></div>'.join(f"<div>{p}</div>" for p in PORTS)
        + "</div>\r\n"
    )
    msg = MIMEMultipart("alternative", boundary="0000000000001a2b3c4d5e6f7081")
    msg.attach(text_part(plain, charset="UTF-8", cte="quoted-printable"))
    msg.attach(quoted_printable_html(html))
    headers(msg, formataddr(("Sabha Economic Forum", "press@sabha-forum.example")),
            "Op-Ed: Ports, not checkpoints", "<CAForum+pasted=gmail-0a1b2c3d4e5f6071@mail.gmail.com>")
    write("17-gmail-pasted-title-byline.eml", msg)


if __name__ == "__main__":
    thunderbird_flowed()
    apple_flowed_delsp()
    thunderbird_pgp_signed()
    iphone_photos()
    gmail_forward()
    outlook_forward()
    apple_forward()
    outlook_forward_as_attachment()
    undeclared_8bit()
    cjk_subject()
    reply_with_gmail_quote()
    reply_with_outlook_quote()
    gmail_div_paragraphs()
    yahoo_div_paragraphs()
    libreoffice_pdf()
    word_arabic_title_byline()
    gmail_pasted_title_byline()
