//! Printed pages, made by the server: A4 landscape PDF with Chinese text in an embedded CJK
//! font, subset to the glyphs used (the `krilla` crate writes the PDF and subsets the font;
//! `ttf-parser`, which krilla builds on too, measures text for wrapping).
//!
//! The font is the machine's: `ZHIBAN_PDF_FONT` (a path, with `#N` for a collection's face
//! N), or else the first found of Noto Sans CJK SC (Debian's `fonts-noto-cjk`, which the
//! README's commands install), Droid Sans Fallback and WenQuanYi. It is read once.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use std::sync::{Arc, OnceLock};

/// A4 landscape, in points.
pub const WIDTH: f32 = 842.0;
/// A4 landscape height.
pub const HEIGHT: f32 = 595.0;

/// Fonts looked for when `ZHIBAN_PDF_FONT` is not set: (path, face index).
const FONTS: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    (
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        0,
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
];

/// A loaded font: for krilla, and its bytes for measuring.
#[derive(Clone)]
pub struct CjkFont {
    font: Font,
    data: Arc<Vec<u8>>,
    index: u32,
}

static FONT: OnceLock<Result<CjkFont, String>> = OnceLock::new();

/// The machine's CJK font, or why there is none.
pub fn font() -> Result<CjkFont, String> {
    FONT.get_or_init(load).clone()
}

fn load() -> Result<CjkFont, String> {
    let wanted = std::env::var("ZHIBAN_PDF_FONT").ok();
    let candidates: Vec<(String, u32)> = match &wanted {
        Some(w) => {
            let (path, index) = match w.rsplit_once('#') {
                Some((p, i)) => (p.to_string(), i.parse().unwrap_or(0)),
                None => (w.clone(), 0),
            };
            vec![(path, index)]
        }
        None => FONTS.iter().map(|(p, i)| ((*p).to_string(), *i)).collect(),
    };
    for (path, index) in &candidates {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let data = Arc::new(bytes);
        // The face must have Chinese glyphs.
        let has_chinese = ttf_parser::Face::parse(&data, *index)
            .is_ok_and(|f| f.glyph_index('值').is_some() && f.glyph_index('班').is_some());
        if !has_chinese {
            continue;
        }
        if let Some(font) = Font::new(data.clone().into(), *index) {
            return Ok(CjkFont {
                font,
                data,
                index: *index,
            });
        }
    }
    Err(match wanted {
        Some(w) => format!("ZHIBAN_PDF_FONT={w} is not a font with Chinese glyphs"),
        None => {
            "no Chinese font on this machine: install fonts-noto-cjk or set ZHIBAN_PDF_FONT".into()
        }
    })
}

impl CjkFont {
    /// The advance of each character of `text` at `size` points (a character the font
    /// lacks counts as one em).
    fn advances(&self, text: &str, size: f32) -> Vec<f32> {
        let Ok(face) = ttf_parser::Face::parse(&self.data, self.index) else {
            return text.chars().map(|_| size).collect();
        };
        let em = f32::from(face.units_per_em().max(1));
        text.chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(size, |a| f32::from(a) / em * size)
            })
            .collect()
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        self.advances(text, size).iter().sum()
    }

    /// `text` broken into lines of at most `width` points at `size` (between any two
    /// characters, as Chinese is; a word of Latin letters too, when it must).
    pub fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut used = 0.0;
        for (c, w) in text.chars().zip(self.advances(text, size)) {
            if used + w > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            line.push(c);
            used += w;
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// A document being written, page by page.
pub struct Pdf {
    doc: Document,
    font: CjkFont,
}

/// The colours used: black text, grey rules and shading.
pub const BLACK: (u8, u8, u8) = (0, 0, 0);
/// Grey for rules and secondary text.
pub const GREY: (u8, u8, u8) = (90, 90, 90);
/// Light shading for headers.
pub const SHADE: (u8, u8, u8) = (232, 236, 242);

impl Pdf {
    /// A new document titled `title` (its metadata), in Chinese.
    pub fn new(font: CjkFont, title: &str) -> Self {
        let mut doc = Document::new();
        doc.set_metadata(
            Metadata::new()
                .title(title.to_string())
                .language("zh-CN".into())
                .creator("zhiban 值班".into()),
        );
        Self { doc, font }
    }

    /// The font, for measuring.
    pub fn font(&self) -> &CjkFont {
        &self.font
    }

    /// Draws one A4 landscape page with `draw`.
    pub fn page(&mut self, draw: impl FnOnce(&mut Painter<'_, '_>)) {
        let settings = PageSettings::from_wh(WIDTH, HEIGHT).unwrap_or_default();
        let mut page = self.doc.start_page_with(settings);
        let mut surface = page.surface();
        let mut p = Painter {
            surface: &mut surface,
            font: &self.font,
        };
        draw(&mut p);
        surface.finish();
        page.finish();
    }

    /// The PDF's bytes.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        self.doc.finish().map_err(|e| format!("{e:?}"))
    }
}

/// Draws on one page (origin top left, y down, in points).
pub struct Painter<'s, 'p> {
    surface: &'s mut Surface<'p>,
    font: &'s CjkFont,
}

impl Painter<'_, '_> {
    /// The font, for measuring.
    pub fn font(&self) -> &CjkFont {
        self.font
    }

    /// `text` at `size` with its baseline at (`x`, `y`), in `colour`.
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str, colour: (u8, u8, u8)) {
        if text.is_empty() {
            return;
        }
        self.surface.set_fill(Some(Fill {
            paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
            ..Fill::default()
        }));
        self.surface.draw_text(
            Point::from_xy(x, y),
            self.font.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    /// `text` ending at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, size: f32, text: &str, c: (u8, u8, u8)) {
        let w = self.font.width(text, size);
        self.text(right - w, y, size, text, c);
    }

    /// `text` centred on `centre`.
    pub fn text_centred(&mut self, centre: f32, y: f32, size: f32, text: &str, c: (u8, u8, u8)) {
        let w = self.font.width(text, size);
        self.text(centre - w / 2.0, y, size, text, c);
    }

    /// A rectangle: filled with `fill` and/or outlined in grey.
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Option<(u8, u8, u8)>, line: bool) {
        let Some(r) = Rect::from_xywh(x, y, w, h) else {
            return;
        };
        let mut pb = PathBuilder::new();
        pb.push_rect(r);
        let Some(path) = pb.finish() else { return };
        self.surface.set_fill(fill.map(|c| Fill {
            paint: rgb::Color::new(c.0, c.1, c.2).into(),
            ..Fill::default()
        }));
        self.surface.set_stroke(line.then(|| Stroke {
            paint: rgb::Color::new(GREY.0, GREY.1, GREY.2).into(),
            width: 0.6,
            ..Stroke::default()
        }));
        self.surface.draw_path(&path);
        self.surface.set_stroke(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_is_measured_and_wrapped() {
        let f = font().expect("a CJK font (scripts/test installs fonts-noto-cjk)");
        let one = f.width("值", 10.0);
        assert!(
            (one - 10.0).abs() < 0.5,
            "a Chinese character is one em: {one}"
        );
        assert!(f.width("ab", 10.0) < f.width("值班", 10.0));
        let lines = f.wrap("陈志明（广东某某律师事务所）", 10.0, 55.0);
        assert!(lines.len() >= 3, "{lines:?}");
        assert!(lines.iter().all(|l| f.width(l, 10.0) <= 55.0 + 0.01));
        assert_eq!(lines.concat(), "陈志明（广东某某律师事务所）");
    }
}
