//! The .docx an author attaches: a real package laid out the way Word writes
//! one, every one different.

use std::fmt::Write as _;

use rand::Rng as _;
use rand::rngs::StdRng;

use crate::mail::zip_of;
use crate::text::xml_escape;

/// A real .docx package laid out the way Word writes one: content types,
/// relationships, core properties with the title, styles, and a document
/// whose paragraphs are split into formatted runs.
pub fn docx(rng: &mut StdRng, title: &str, paragraphs: &[String], author: &str) -> Vec<u8> {
    const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    let mut body = format!(
        "<w:p><w:pPr><w:pStyle w:val=\"Title\"/></w:pPr><w:r><w:t>{}</w:t></w:r></w:p>",
        xml_escape(title)
    );
    for paragraph in paragraphs {
        let _ = write!(
            body,
            "<w:p w14:paraId=\"{:08X}\"><w:pPr><w:spacing w:after=\"160\"/><w:jc w:val=\"both\"/></w:pPr>",
            rng.random::<u32>()
        );
        let words: Vec<&str> = paragraph.split(' ').collect();
        let runs = rng.random_range(1..=4).min(words.len());
        let per_run = words.len().div_ceil(runs);
        for (n, chunk) in words.chunks(per_run).enumerate() {
            let mut properties =
                String::from("<w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\"/>");
            match rng.random_range(0..8) {
                0 => properties.push_str("<w:b/>"),
                1 => properties.push_str("<w:i/>"),
                _ => {}
            }
            properties.push_str("<w:lang w:val=\"en-GB\"/>");
            let trailing = if n + 1 < runs { " " } else { "" };
            let _ = write!(
                body,
                "<w:r><w:rPr>{properties}</w:rPr><w:t xml:space=\"preserve\">{}{trailing}</w:t></w:r>",
                xml_escape(&chunk.join(" "))
            );
        }
        if rng.random_ratio(5, 100) {
            body.push_str(
                "<w:bookmarkStart w:id=\"0\" w:name=\"_GoBack\"/><w:bookmarkEnd w:id=\"0\"/>",
            );
        }
        body.push_str("</w:p>");
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
         <w:document xmlns:w=\"{W}\" xmlns:w14=\"http://schemas.microsoft.com/office/word/2010/wordml\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>{body}\
         <w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1440\" w:right=\"1440\" \
         w:bottom=\"1440\" w:left=\"1440\"/></w:sectPr></w:body></w:document>"
    );
    let styles = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<w:styles xmlns:w=\"{W}\">{}</w:styles>",
        (0..40)
            .map(|n| format!(
                "<w:style w:type=\"paragraph\" w:styleId=\"Style{n}\"><w:name w:val=\"Style {n}\"/>\
                 <w:basedOn w:val=\"Normal\"/><w:rPr><w:sz w:val=\"{}\"/></w:rPr></w:style>",
                20 + n % 12
            ))
            .collect::<String>()
    );
    let core = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
         <cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title>\
         <dc:creator>{}</dc:creator><cp:revision>{}</cp:revision>\
         <dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-11-2{}T08:00:00Z</dcterms:created>\
         </cp:coreProperties>",
        xml_escape(title),
        xml_escape(author),
        rng.random_range(1..=9),
        rng.random_range(0..4),
    );
    let entries: [(&str, String); 6] = [
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
             <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
             <Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
             <Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
             <Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
             </Types>"
                .into(),
        ),
        (
            "_rels/.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
             <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>\
             <Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
             </Relationships>"
                .into(),
        ),
        (
            "word/_rels/document.xml.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
             <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
             </Relationships>"
                .into(),
        ),
        ("word/document.xml", document),
        ("word/styles.xml", styles),
        ("docProps/core.xml", core),
    ];
    let mut entries: Vec<(&str, Vec<u8>)> = entries
        .into_iter()
        .map(|(name, content)| (name, content.into_bytes()))
        .collect();
    entries.push((
        "docProps/app.xml",
        b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
          <Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">\
          <Application>Microsoft Office Word</Application></Properties>"
            .to_vec(),
    ));
    zip_of(&entries)
}
