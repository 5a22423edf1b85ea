//! Helpers shared by the integration tests: attribute extraction and viewBox checks.

#![allow(dead_code)]

/// All values of attribute `name` (e.g. `"x"`) in document order.
pub fn attrs(svg: &str, name: &str) -> Vec<String> {
    let pat = format!(" {name}=\"");
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find(&pat) {
        rest = &rest[i + pat.len()..];
        let end = rest.find('"').expect("closed attribute");
        out.push(rest[..end].to_owned());
        rest = &rest[end..];
    }
    out
}

/// Width and height from the root element.
pub fn size(svg: &str) -> (f64, f64) {
    let w = attrs(svg, "width")[0].parse().unwrap();
    let h = attrs(svg, "height")[0].parse().unwrap();
    (w, h)
}

/// Numbers in a path's `d` attribute.
pub fn path_numbers(d: &str) -> Vec<f64> {
    d.split(|c: char| c.is_ascii_alphabetic() || c == ' ' || c == ',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse()
                .unwrap_or_else(|_| panic!("bad number {t:?} in {d}"))
        })
        .collect()
}

/// Asserts the document is NaN/inf-free and every coordinate lies inside the viewBox.
pub fn assert_inside(svg: &str) {
    // Every numeric attribute is a finite number (user text may legitimately say "NaN").
    for a in ["r", "rx", "width", "height", "font-size", "stroke-width"] {
        for v in attrs(svg, a) {
            let f: f64 = v.parse().unwrap_or_else(|_| panic!("bad {a}={v:?}"));
            assert!(f.is_finite() && f >= 0.0, "{a}={v}");
        }
    }
    let (w, h) = size(svg);
    assert_eq!(attrs(svg, "viewBox")[0], format!("0 0 {w} {h}"));
    let eps = 0.011;
    let within = |v: f64, max: f64, what: &str| {
        assert!(
            v.is_finite() && v >= -eps && v <= max + eps,
            "{what}={v} outside 0..{max}"
        );
    };
    let num = |s: &String| -> f64 { s.parse().unwrap_or_else(|_| panic!("bad number {s:?}")) };
    for a in ["x", "x1", "x2", "cx"] {
        attrs(svg, a).iter().for_each(|v| within(num(v), w, a));
    }
    for a in ["y", "y1", "y2", "cy"] {
        attrs(svg, a).iter().for_each(|v| within(num(v), h, a));
    }
    // Rectangles stay inside: x + width <= w, y + height <= h.
    for chunk in svg.split("<rect ").skip(1) {
        let g = |n: &str| attrs(&format!(" {chunk}"), n).first().map(&num).unwrap();
        within(g("x") + g("width"), w, "rect right");
        within(g("y") + g("height"), h, "rect bottom");
    }
    for d in attrs(svg, "d") {
        let nums = path_numbers(&d);
        if d.contains('A') {
            nums.iter().for_each(|v| within(*v, w.max(h), "arc"));
        } else {
            for p in nums.chunks(2) {
                within(p[0], w, "path x");
                within(p[1], h, "path y");
            }
        }
    }
}
