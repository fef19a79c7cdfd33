//! Unit and property tests of the splits.
use super::*;
use proptest::prelude::*;

fn spk(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn loso_one_fold_per_speaker_sorted() {
    let s = spk(&["b", "a", "b", "c", "a"]);
    let l = vec![0, 1, 0, 1, 0];
    let c = vec![String::new(); 5];
    let f = SplitSpec::LeaveOneSpeakerOut.folds(&s, &l, &c, 0).unwrap();
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].name, "a");
    assert_eq!(f[0].test, vec![1, 4]);
    assert_eq!(f[0].train, vec![0, 2, 3]);
    assert_eq!(f[2].test, vec![3]);
}

#[test]
fn group_k_fold_rejects_bad_k() {
    let s = spk(&["a", "b", "c"]);
    let c = vec![String::new(); 3];
    assert!(
        SplitSpec::GroupKFold { k: 4 }
            .folds(&s, &[0, 1, 0], &c, 0)
            .is_err()
    );
    assert!(
        SplitSpec::GroupKFold { k: 1 }
            .folds(&s, &[0, 1, 0], &c, 0)
            .is_err()
    );
}

#[test]
fn group_k_fold_balances_classes() {
    // 4 speakers with only class 0, 4 with only class 1: 2 folds should get 2 of each.
    let mut s = Vec::new();
    let mut l = Vec::new();
    for sp in 0..8 {
        for _ in 0..5 {
            s.push(format!("s{sp}"));
            l.push(usize::from(sp >= 4));
        }
    }
    let c = vec![String::new(); s.len()];
    let folds = SplitSpec::GroupKFold { k: 2 }.folds(&s, &l, &c, 7).unwrap();
    for f in &folds {
        let ones = f.test.iter().filter(|&&i| l[i] == 1).count();
        assert_eq!(ones, 10, "fold {} test class-1 count", f.name);
        assert_eq!(f.test.len(), 20);
    }
}

#[test]
fn holdout_explicit_and_seeded() {
    let s = spk(&["a", "a", "b", "c", "d"]);
    let l = vec![0; 5];
    let c = vec![String::new(); 5];
    let spec = SplitSpec::SpeakerHoldout {
        test_speakers: spk(&["a", "d"]),
        n_test: 0,
    };
    let f = spec.folds(&s, &l, &c, 0).unwrap();
    assert_eq!(f[0].test, vec![0, 1, 4]);
    assert_eq!(f[0].train, vec![2, 3]);
    let bad = SplitSpec::SpeakerHoldout {
        test_speakers: spk(&["zz"]),
        n_test: 0,
    };
    assert!(bad.folds(&s, &l, &c, 0).is_err());
    let seeded = SplitSpec::SpeakerHoldout {
        test_speakers: vec![],
        n_test: 2,
    };
    let f = seeded.folds(&s, &l, &c, 3).unwrap();
    let test_spk: BTreeSet<&String> = f[0].test.iter().map(|&i| &s[i]).collect();
    assert_eq!(test_spk.len(), 2);
}

#[test]
fn corpus_holdout_split() {
    let s = spk(&["a", "b", "c", "d"]);
    let c = spk(&["x", "y", "z", "x"]);
    let l = vec![0; 4];
    let spec = SplitSpec::CorpusHoldout {
        train: spk(&["x"]),
        test: spk(&["z"]),
    };
    let f = spec.folds(&s, &l, &c, 0).unwrap();
    assert_eq!(f[0].train, vec![0, 3]);
    assert_eq!(f[0].test, vec![2]);
    let all = SplitSpec::CorpusHoldout {
        train: vec![],
        test: spk(&["z"]),
    };
    assert_eq!(all.folds(&s, &l, &c, 0).unwrap()[0].train, vec![0, 1, 3]);
}

#[test]
fn random_split_is_flagged_and_stratified() {
    let spec = SplitSpec::Random {
        test_fraction: 0.25,
    };
    assert!(!spec.is_speaker_independent());
    assert!(spec.describe().contains("SPEAKER-DEPENDENT"));
    let l: Vec<usize> = (0..40).map(|i| i % 2).collect();
    let s = vec!["a".to_string(); 40];
    let c = vec![String::new(); 40];
    let f = spec.folds(&s, &l, &c, 1).unwrap();
    assert_eq!(f[0].test.len(), 10);
    assert_eq!(f[0].test.iter().filter(|&&i| l[i] == 1).count(), 5);
}

#[test]
fn split_spec_toml() {
    #[derive(Deserialize)]
    struct W {
        split: SplitSpec,
    }
    let w: W = toml::from_str("split = { kind = \"group_k_fold\", k = 5 }").unwrap();
    assert_eq!(w.split, SplitSpec::GroupKFold { k: 5 });
    let w: W = toml::from_str("split = { kind = \"leave_one_speaker_out\" }").unwrap();
    assert_eq!(w.split, SplitSpec::LeaveOneSpeakerOut);
}

#[test]
fn dataset_checks_lengths() {
    let x = Array2::<f32>::zeros((2, 1));
    assert!(
        Dataset::new(
            x.clone(),
            spk(&["f"]),
            spk(&["a"]),
            spk(&["s", "t"]),
            spk(&["p", "q"]),
            spk(&["c", "c"])
        )
        .is_err()
    );
    let d = Dataset::new(
        x,
        spk(&["f"]),
        spk(&["b", "a"]),
        spk(&["s", "t"]),
        spk(&["p", "q"]),
        spk(&["c", "c"]),
    )
    .unwrap();
    assert_eq!(d.classes(), spk(&["a", "b"]));
    assert_eq!(d.label_indices(&d.classes()).unwrap(), vec![1, 0]);
    assert_eq!(d.subset(&[1]).paths, spk(&["q"]));
    assert_eq!(d.filter_labels(&spk(&["b"])).n_rows(), 1);
}

/// Random data: 2..12 speakers, 1..15 rows each, labels in 0..4, speakers interleaved.
fn arb_data() -> impl Strategy<Value = (Vec<String>, Vec<usize>)> {
    prop::collection::vec((0usize..12, 0usize..4), 2..120).prop_filter_map(
        "need 2+ speakers",
        |rows| {
            let s: Vec<String> = rows.iter().map(|(s, _)| format!("spk{s:02}")).collect();
            let l: Vec<usize> = rows.iter().map(|(_, l)| *l).collect();
            (sorted_unique(&s).len() >= 2).then_some((s, l))
        },
    )
}

fn check_disjoint(folds: &[Fold], s: &[String]) {
    for f in folds {
        let tr: BTreeSet<&String> = f.train.iter().map(|&i| &s[i]).collect();
        let te: BTreeSet<&String> = f.test.iter().map(|&i| &s[i]).collect();
        assert!(tr.is_disjoint(&te), "speaker on both sides of {}", f.name);
        assert_eq!(f.train.len() + f.test.len(), s.len());
    }
}

fn check_each_tested_once(folds: &[Fold], n: usize) {
    let mut seen = vec![0usize; n];
    for f in folds {
        for &i in &f.test {
            seen[i] += 1;
        }
    }
    assert!(seen.iter().all(|&c| c == 1), "test counts {seen:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn prop_loso((s, l) in arb_data(), seed in any::<u64>()) {
        let c = vec![String::new(); s.len()];
        let f = SplitSpec::LeaveOneSpeakerOut.folds(&s, &l, &c, seed).unwrap();
        prop_assert_eq!(f.len(), sorted_unique(&s).len());
        check_disjoint(&f, &s);
        check_each_tested_once(&f, s.len());
        prop_assert_eq!(f, SplitSpec::LeaveOneSpeakerOut.folds(&s, &l, &c, seed).unwrap());
    }

    #[test]
    fn prop_group_k_fold((s, l) in arb_data(), k in 2usize..6, seed in any::<u64>()) {
        let n_spk = sorted_unique(&s).len();
        let k = k.min(n_spk);
        let c = vec![String::new(); s.len()];
        let spec = SplitSpec::GroupKFold { k };
        let f = spec.folds(&s, &l, &c, seed).unwrap();
        prop_assert_eq!(f.len(), k);
        check_disjoint(&f, &s);
        check_each_tested_once(&f, s.len());
        prop_assert_eq!(&f, &spec.folds(&s, &l, &c, seed).unwrap());
        // pure function of the speakers: row order does not matter for fold membership
        let rev_s: Vec<String> = s.iter().rev().cloned().collect();
        let rev_l: Vec<usize> = l.iter().rev().copied().collect();
        let g = spec.folds(&rev_s, &rev_l, &c, seed).unwrap();
        for (a, b) in f.iter().zip(&g) {
            let sa: BTreeSet<&String> = a.test.iter().map(|&i| &s[i]).collect();
            let sb: BTreeSet<&String> = b.test.iter().map(|&i| &rev_s[i]).collect();
            prop_assert_eq!(sa, sb);
        }
    }

    #[test]
    fn prop_holdout((s, l) in arb_data(), n in 1usize..5, seed in any::<u64>()) {
        let n_spk = sorted_unique(&s).len();
        let n = n.min(n_spk - 1);
        let c = vec![String::new(); s.len()];
        let spec = SplitSpec::SpeakerHoldout { test_speakers: vec![], n_test: n };
        let f = spec.folds(&s, &l, &c, seed).unwrap();
        check_disjoint(&f, &s);
        let te: BTreeSet<&String> = f[0].test.iter().map(|&i| &s[i]).collect();
        prop_assert_eq!(te.len(), n);
        prop_assert_eq!(&f, &spec.folds(&s, &l, &c, seed).unwrap());
    }

    #[test]
    fn prop_random_identical_for_seed((s, l) in arb_data(), seed in any::<u64>()) {
        let c = vec![String::new(); s.len()];
        let spec = SplitSpec::Random { test_fraction: 0.5 };
        // tiny sets may leave one side empty, which is an error; both calls must agree
        let a = spec.folds(&s, &l, &c, seed);
        let b = spec.folds(&s, &l, &c, seed);
        prop_assert_eq!(a.is_ok(), b.is_ok());
        if let (Ok(a), Ok(b)) = (a, b) {
            prop_assert_eq!(a, b);
        }
    }
}
