#[test]
fn phases() {
    use std::time::Instant;
    let bytes = std::fs::read("/tmp/m200k.csv").unwrap();
    let model = churn_audit::default_model().unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let mut s = churn_audit::audit::Scorer::new(model.clone(), "f", 20_468, Default::default());
        for c in bytes.chunks(4 << 20) {
            s.push(c).unwrap();
        }
        let sc = s.finish().unwrap();
        eprintln!("scorer {:?} {}", t.elapsed(), sc.len());
    }
}
