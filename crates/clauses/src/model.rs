//! One logistic-regression model per category over the hashed span features, trained with
//! AdaGrad on the CUAD development split, stored compactly (the strongest weights only), and
//! applied to a contract through an inverted index so every feature is looked up once for all
//! categories.

use crate::CATEGORIES;
use crate::features::{self, Doc};
use crate::spans::{self, KINDS, Kind, Span};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Feature keys are already hashes: use them as they are.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type Index = HashMap<u32, Vec<(u8, f32)>, BuildHasherDefault<Identity>>;

const MAGIC: &[u8; 8] = b"LXCUAD02";

/// The model file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a lexops clause model (bad header)")]
    Header,
    #[error("the clause model file is cut short")]
    Truncated,
    #[error("the clause model has {0} categories, expected {1}")]
    Categories(usize, usize),
}

#[derive(Clone, Debug, Default)]
struct Category {
    bias: f32,
    /// Bit i set: spans of kind i can answer this category.
    kinds: u8,
    weights: Vec<(u32, f32)>,
}

/// The trained models of all 41 categories.
#[derive(Clone, Debug)]
pub struct Model {
    cats: Vec<Category>,
    /// Hashes of the names of the contracts it was trained on (so an evaluation can leave them
    /// out).
    trained_on: Vec<u64>,
    index: Index,
}

/// A span the model scored for a category: where it is and how sure the model is (the
/// normalised answer is [`crate::Clause`]'s, made by [`crate::find`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub category: usize,
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Stable 64-bit hash of a contract's name (FNV-1a over its normalised form).
pub fn name_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in crate::cuad::normalise_name(name).bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Model {
    /// The model trained on the CUAD development split, shipped with lexops.
    pub fn builtin() -> &'static Model {
        static M: std::sync::LazyLock<Model> = std::sync::LazyLock::new(|| {
            Model::from_bytes(include_bytes!("../model/cuad.bin"))
                .expect("the shipped clause model reads")
        });
        &M
    }

    fn new(cats: Vec<Category>, trained_on: Vec<u64>) -> Model {
        let mut index = Index::default();
        for (c, cat) in cats.iter().enumerate() {
            for &(f, w) in &cat.weights {
                index.entry(f).or_default().push((c as u8, w));
            }
        }
        Model {
            cats,
            trained_on,
            index,
        }
    }

    /// Whether the model was trained on the contract with this name.
    pub fn trained_on(&self, name: &str) -> bool {
        self.trained_on.contains(&name_hash(name))
    }

    /// Number of contracts it was trained on.
    pub fn training_size(&self) -> usize {
        self.trained_on.len()
    }

    /// Total stored weights.
    pub fn weights(&self) -> usize {
        self.cats.iter().map(|c| c.weights.len()).sum()
    }

    /// The model file: header, training-set hashes, then per category the bias, the kinds, a
    /// weight scale and the weights as (feature gap as a varint, weight as i16 × scale).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend((self.cats.len() as u32).to_le_bytes());
        out.extend((self.trained_on.len() as u32).to_le_bytes());
        for h in &self.trained_on {
            out.extend(h.to_le_bytes());
        }
        for c in &self.cats {
            out.extend(c.bias.to_le_bytes());
            out.push(c.kinds);
            let max = c.weights.iter().map(|w| w.1.abs()).fold(0f32, f32::max);
            let scale = if max > 0.0 {
                max / i16::MAX as f32
            } else {
                1.0
            };
            out.extend(scale.to_le_bytes());
            out.extend((c.weights.len() as u32).to_le_bytes());
            let mut last = 0u32;
            for &(f, w) in &c.weights {
                let mut gap = f - last;
                last = f;
                loop {
                    let b = (gap & 0x7f) as u8;
                    gap >>= 7;
                    if gap == 0 {
                        out.push(b);
                        break;
                    }
                    out.push(b | 0x80);
                }
                out.extend(((w / scale).round() as i16).to_le_bytes());
            }
        }
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Model, ModelError> {
        if b.len() < 16 || &b[..8] != MAGIC {
            return Err(ModelError::Header);
        }
        let mut at = 8;
        let mut take = |n: usize| -> Result<&[u8], ModelError> {
            let s = b.get(at..at + n).ok_or(ModelError::Truncated)?;
            at += n;
            Ok(s)
        };
        let u32_ = |s: &[u8]| u32::from_le_bytes(s.try_into().expect("4 bytes"));
        let f32_ = |s: &[u8]| f32::from_le_bytes(s.try_into().expect("4 bytes"));
        let n = u32_(take(4)?) as usize;
        if n != CATEGORIES.len() {
            return Err(ModelError::Categories(n, CATEGORIES.len()));
        }
        let t = u32_(take(4)?) as usize;
        let mut trained_on = Vec::with_capacity(t.min(100_000));
        for _ in 0..t {
            trained_on.push(u64::from_le_bytes(take(8)?.try_into().expect("8 bytes")));
        }
        let mut cats = Vec::with_capacity(n);
        for _ in 0..n {
            let bias = f32_(take(4)?);
            let kinds = take(1)?[0];
            let scale = f32_(take(4)?);
            let k = u32_(take(4)?) as usize;
            let mut weights = Vec::with_capacity(k.min(1 << features::BITS));
            let mut last = 0u32;
            for _ in 0..k {
                let mut gap = 0u32;
                let mut shift = 0;
                loop {
                    let byte = take(1)?[0];
                    gap |= ((byte & 0x7f) as u32) << shift;
                    shift += 7;
                    if byte & 0x80 == 0 || shift > 28 {
                        break;
                    }
                }
                last = last.wrapping_add(gap);
                let w = i16::from_le_bytes(take(2)?.try_into().expect("2 bytes"));
                weights.push((last, w as f32 * scale));
            }
            cats.push(Category {
                bias,
                kinds,
                weights,
            });
        }
        Ok(Model::new(cats, trained_on))
    }

    /// Every category's score for every candidate span of `text`: the spans, then one row of
    /// 41 probabilities per span (0 where the span's kind cannot answer the category).
    pub fn score(&self, text: &str) -> (Vec<Span>, Vec<[f32; 41]>) {
        let lines = spans::lines(text);
        let sp = spans::spans(text, &lines);
        let doc = Doc {
            text,
            lines: &lines,
        };
        let mut toks = Vec::new();
        let mut fs = Vec::new();
        let mut rows = Vec::with_capacity(sp.len());
        for s in &sp {
            features::features(&doc, s, &mut toks, &mut fs);
            let mut z = [0f32; 41];
            for (c, cat) in self.cats.iter().enumerate() {
                z[c] = cat.bias;
            }
            for f in &fs {
                if let Some(ws) = self.index.get(f) {
                    for &(c, w) in ws {
                        z[c as usize] += w;
                    }
                }
            }
            let mut row = [0f32; 41];
            for (c, cat) in self.cats.iter().enumerate() {
                if cat.kinds & (1 << s.kind as u8) != 0 {
                    row[c] = sigmoid(z[c]);
                }
            }
            rows.push(row);
        }
        (sp, rows)
    }

    /// The clauses of a contract: for each category the best-scoring spans (at most `per_category`,
    /// overlapping spans merged into the better one), most confident first.
    pub fn extract(&self, text: &str, per_category: usize, min_confidence: f32) -> Vec<Finding> {
        let (sp, rows) = self.score(text);
        let mut out = Vec::new();
        let mut cand: Vec<(f32, usize)> = Vec::new();
        for c in 0..CATEGORIES.len() {
            cand.clear();
            cand.extend(
                rows.iter()
                    .enumerate()
                    .filter(|(_, r)| r[c] > 0.0 && r[c] >= min_confidence)
                    .map(|(i, r)| (r[c], i)),
            );
            cand.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut kept: Vec<&Span> = Vec::new();
            for &(p, i) in &cand {
                if kept.len() >= per_category {
                    break;
                }
                let s = &sp[i];
                let overlaps = kept.iter().any(|k| {
                    let inter = s.end.min(k.end).saturating_sub(s.start.max(k.start));
                    let shorter = (s.end - s.start).min(k.end - k.start).max(1);
                    inter * 10 >= shorter * 8
                });
                if overlaps {
                    continue;
                }
                kept.push(s);
                out.push(Finding {
                    category: c,
                    start: s.start,
                    end: s.end,
                    confidence: p,
                });
            }
        }
        out
    }
}

/// How to train.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub epochs: usize,
    /// Share of negative examples kept (the rest are skipped; the bias is corrected for it).
    pub negative_rate: f32,
    pub learning_rate: f32,
    pub l2: f32,
    /// Weights kept per category (the largest in magnitude).
    pub keep: usize,
    pub threads: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 6,
            negative_rate: 0.3,
            learning_rate: 0.05,
            l2: 1e-6,
            keep: 16000,
            threads: 2,
        }
    }
}

struct Example {
    feats: Vec<u32>,
    kind: Kind,
    /// Bit c set: positive for category c.
    pos: u64,
    /// Bit c set: not a match for category c but overlapping one of its labels (a paragraph
    /// holding a labelled sentence, a piece of a labelled passage): left out of c's training,
    /// as it is neither clearly right nor clearly wrong.
    near: u64,
}

/// One training contract: its name, text and, per category, the labelled clause texts.
pub struct TrainDoc<'a> {
    pub name: &'a str,
    pub text: &'a str,
    pub labels: &'a [Vec<String>],
}

/// Trains the 41 models. A span is a positive example of a category when it would count as a
/// match for one of the labelled clauses under CUAD's evaluation.
pub fn train(docs: &[TrainDoc<'_>], opts: &TrainOptions) -> Model {
    let examples: Vec<Example> = {
        let per: Vec<Vec<Example>> = parallel(docs, opts.threads, |d| examples_of(d));
        per.into_iter().flatten().collect()
    };
    let cats: Vec<usize> = (0..CATEGORIES.len()).collect();
    let trained = parallel(&cats, opts.threads, |&c| train_one(&examples, c, opts));
    let trained_on = docs.iter().map(|d| name_hash(d.name)).collect();
    Model::new(trained, trained_on)
}

pub(crate) fn parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= items.len() {
                        break;
                    }
                    let r = f(&items[i]);
                    slots.lock().expect("no panics while holding")[i] = Some(r);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every item done"))
        .collect()
}

fn examples_of(d: &TrainDoc<'_>) -> Vec<Example> {
    let lines = spans::lines(d.text);
    let sp = spans::spans(d.text, &lines);
    let doc = Doc {
        text: d.text,
        lines: &lines,
    };
    let labels: Vec<Vec<(&str, crate::cuad::Words)>> = d
        .labels
        .iter()
        .map(|ls| {
            ls.iter()
                .map(|l| (l.as_str(), crate::cuad::Words::of(l)))
                .collect()
        })
        .collect();
    let mut toks = Vec::new();
    let mut out = Vec::with_capacity(sp.len());
    for s in &sp {
        let t = &d.text[s.start..s.end];
        let words = crate::cuad::Words::of(t);
        let mut pos = 0u64;
        let mut near = 0u64;
        for (c, ls) in labels.iter().enumerate() {
            if ls
                .iter()
                .any(|(l, w)| w.jaccard(&words) >= 0.5 || (c == crate::PARTIES && t.contains(l)))
            {
                pos |= 1 << c;
            } else if ls.iter().any(|(l, _)| t.contains(l) || l.contains(t)) {
                near |= 1 << c;
            }
        }
        let mut feats = Vec::new();
        features::features(&doc, s, &mut toks, &mut feats);
        out.push(Example {
            feats,
            kind: s.kind,
            pos,
            near,
        });
    }
    out
}

fn train_one(examples: &[Example], c: usize, o: &TrainOptions) -> Category {
    let mut positives = [0usize; KINDS];
    for e in examples {
        if e.pos & (1 << c) != 0 {
            positives[e.kind as usize] += 1;
        }
    }
    let total: usize = positives.iter().sum();
    let mut kinds = 0u8;
    for (k, &n) in positives.iter().enumerate() {
        // A kind answers a category when it holds a real share of its labelled clauses.
        if n >= 3 && n * 50 >= total {
            kinds |= 1 << k;
        }
    }
    let dim = 1usize << features::BITS;
    let order: Vec<usize> = (0..examples.len())
        .filter(|&i| kinds & (1 << examples[i].kind as u8) != 0)
        .collect();
    // First pass over every feature; the second pass only over the `keep` strongest, so the
    // stored model is small and was trained as it is used.
    let (w, _) = sgd(examples, &order, c, o, None);
    let mut strongest: Vec<(u32, f32)> = w
        .iter()
        .enumerate()
        .filter(|(_, x)| **x != 0.0)
        .map(|(f, &x)| (f as u32, x))
        .collect();
    strongest.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    strongest.truncate(o.keep);
    let mut mask = vec![false; dim];
    for &(f, _) in &strongest {
        mask[f as usize] = true;
    }
    let (w, b) = sgd(examples, &order, c, o, Some(&mask));
    let weights: Vec<(u32, f32)> = w
        .iter()
        .enumerate()
        .filter(|(f, x)| mask[*f] && **x != 0.0)
        .map(|(f, &x)| (f as u32, x))
        .collect();
    Category {
        // Negatives were sampled at `negative_rate`: shift the log-odds back.
        bias: b + o.negative_rate.ln(),
        kinds,
        weights,
    }
}

fn sgd(
    examples: &[Example],
    order: &[usize],
    c: usize,
    o: &TrainOptions,
    mask: Option<&[bool]>,
) -> (Vec<f32>, f32) {
    let dim = 1usize << features::BITS;
    let mut w = vec![0f32; dim];
    let mut g2 = vec![0f32; dim];
    let (mut b, mut bg2) = (0f32, 0f32);
    let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ c as u64;
    let mut order = order.to_vec();
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let live = |f: u32| mask.is_none_or(|m| m[f as usize]);
    for _ in 0..o.epochs {
        // Fisher–Yates with a fixed xorshift: training is deterministic.
        for i in (1..order.len()).rev() {
            order.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            let e = &examples[i];
            if (e.near >> c) & 1 == 1 {
                continue;
            }
            let y = (e.pos >> c) & 1 == 1;
            if !y && (next() >> 40) as f32 / (1u64 << 24) as f32 >= o.negative_rate {
                continue;
            }
            let mut z = b;
            for &f in &e.feats {
                if live(f) {
                    z += w[f as usize];
                }
            }
            let g = sigmoid(z) - if y { 1.0 } else { 0.0 };
            for &f in &e.feats {
                if !live(f) {
                    continue;
                }
                let f = f as usize;
                let gf = g + o.l2 * w[f];
                g2[f] += gf * gf;
                w[f] -= o.learning_rate * gf / (g2[f].sqrt() + 1e-6);
            }
            bg2 += g * g;
            b -= o.learning_rate * g / (bg2.sqrt() + 1e-6);
        }
    }
    (w, b)
}
