//! Development loop without the whole application: `cargo run --release -p clauses --example
//! cuad -- DIR` trains on three fifths of DIR and scores the validation fifth (for choosing
//! features and settings); with `LXC_FINAL=1 … DIR OUT` it trains on everything but the
//! held-out fifth, scores that, and writes the model. The product commands are
//! `lexops contracts train-clauses` and `lexops bench cuad`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::Path::new(&args[1]);
    let fin = std::env::var("LXC_FINAL").is_ok();
    let scored = |name: &str| {
        if fin {
            clauses::cuad::held_out(name)
        } else {
            clauses::cuad::validation(name)
        }
    };
    let (docs, missing) = clauses::cuad::load(dir).expect("load");
    eprintln!(
        "{} contracts, {} rows without text",
        docs.len(),
        missing.len()
    );
    let train: Vec<clauses::TrainDoc<'_>> = docs
        .iter()
        .filter(|d| {
            !clauses::cuad::held_out(&d.name) && (fin || !clauses::cuad::validation(&d.name))
        })
        .map(|d| clauses::TrainDoc {
            name: &d.name,
            text: &d.text,
            labels: &d.labels,
        })
        .collect();
    let t = std::time::Instant::now();
    let mut o = clauses::TrainOptions::default();
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f32>().ok());
    if let Some(v) = env("LXC_NEG") {
        o.negative_rate = v;
    }
    if let Some(v) = env("LXC_EPOCHS") {
        o.epochs = v as usize;
    }
    if let Some(v) = env("LXC_LR") {
        o.learning_rate = v;
    }
    if let Some(v) = env("LXC_KEEP") {
        o.keep = v as usize;
    }
    if let Some(v) = env("LXC_L2") {
        o.l2 = v;
    }
    let model = clauses::train(&train, &o);
    eprintln!(
        "trained on {} in {:.1}s, {} weights",
        train.len(),
        t.elapsed().as_secs_f64(),
        model.weights()
    );
    let eval: Vec<clauses::cuad::Doc> = docs.iter().filter(|d| scored(&d.name)).cloned().collect();
    let r = clauses::cuad::run(&model, &eval, false);
    for (c, s) in &r.scores.per_category {
        eprintln!(
            "{c:40} n={:4} aupr={:.3} p@80={:.3} p@.5={:?} r@.5={:?}",
            s.labels,
            s.aupr,
            s.precision_at_80_recall,
            s.precision_at_half.map(|x| (x * 100.0).round()),
            s.recall_at_half.map(|x| (x * 100.0).round())
        );
    }
    eprintln!(
        "OVERALL contracts={} aupr={:.3} p@80={:.3} p@90={:.3} {:.1} contracts/s",
        r.contracts,
        r.scores.overall.aupr,
        r.scores.overall.precision_at_80_recall,
        r.scores.overall.precision_at_90_recall,
        r.contracts_per_second
    );
    for a in &r.answers {
        eprintln!(
            "answers {:36} labelled {:3} answered {:3} correct {:3}",
            a.category, a.labelled, a.answered, a.correct
        );
    }
    // Oracle: labels any candidate span matches, and recall by threshold.
    let (mut hit, mut all) = (0, 0);
    for d in eval.iter() {
        let lines = clauses::spans::lines(&d.text);
        let sp = clauses::spans::spans(&d.text, &lines);
        let ws: Vec<(&str, clauses::cuad::Words)> = sp
            .iter()
            .map(|s| {
                let t = &d.text[s.start..s.end];
                (t, clauses::cuad::Words::of(t))
            })
            .collect();
        for (c, ls) in d.labels.iter().enumerate() {
            for l in ls {
                all += 1;
                let lw = clauses::cuad::Words::of(l);
                if ws
                    .iter()
                    .any(|(t, w)| clauses::cuad::matches(c, l, &lw, t, w))
                {
                    hit += 1;
                }
            }
        }
    }
    eprintln!(
        "oracle coverage {hit}/{all} = {:.3}",
        hit as f64 / all as f64
    );
    // Where the labels missed by the top-20 list are lost.
    let mut why = std::collections::BTreeMap::<String, usize>::new();
    for d in eval.iter() {
        let (sp, rows) = model.score(&d.text);
        let out = model.extract(&d.text, clauses::cuad::PER_CATEGORY, 0.0);
        for (c, ls) in d.labels.iter().enumerate() {
            let mut order: Vec<usize> = (0..sp.len()).filter(|&i| rows[i][c] > 0.0).collect();
            order.sort_by(|&a, &b| rows[b][c].total_cmp(&rows[a][c]));
            for l in ls {
                let lw = clauses::cuad::Words::of(l);
                let m = |a: usize, b: usize| {
                    let t = &d.text[a..b];
                    clauses::cuad::matches(c, l, &lw, t, &clauses::cuad::Words::of(t))
                };
                if out.iter().any(|f| f.category == c && m(f.start, f.end)) {
                    *why.entry("found".into()).or_default() += 1;
                    continue;
                }
                let any: Vec<usize> = (0..sp.len())
                    .filter(|&i| m(sp[i].start, sp[i].end))
                    .collect();
                let key = if any.is_empty() {
                    "no candidate".to_string()
                } else if any.iter().all(|&i| rows[i][c] == 0.0) {
                    format!("kind not allowed {:?}", sp[any[0]].kind)
                } else {
                    let best = any
                        .iter()
                        .filter_map(|&i| order.iter().position(|&j| j == i))
                        .min()
                        .unwrap();
                    if best < 20 {
                        format!("suppressed (rank {})", if best < 5 { "<5" } else { "5-19" })
                    } else if best < 50 {
                        "rank 20-49".into()
                    } else if best < 200 {
                        "rank 50-199".into()
                    } else {
                        "rank 200+".into()
                    }
                };
                *why.entry(key).or_default() += 1;
            }
        }
    }
    eprintln!("{why:#?}");
    for (t, p, r) in &r.scores.curve {
        eprint!("{t}:{:.2}/{:.2} ", p, r);
    }
    eprintln!();
    if let Some(out) = args.get(2) {
        std::fs::write(out, model.to_bytes()).expect("write");
    }
}
