use serde::{Deserialize, Serialize};

/// The unified emotion label set shared by every corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Emotion {
    Neutral,
    Calm,
    Happy,
    Sad,
    Angry,
    Fear,
    Disgust,
    Surprise,
    Boredom,
}

impl Emotion {
    pub const ALL: [Emotion; 9] = [
        Emotion::Neutral,
        Emotion::Calm,
        Emotion::Happy,
        Emotion::Sad,
        Emotion::Angry,
        Emotion::Fear,
        Emotion::Disgust,
        Emotion::Surprise,
        Emotion::Boredom,
    ];

    /// Lower-case name, as used in tables and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Emotion::Neutral => "neutral",
            Emotion::Calm => "calm",
            Emotion::Happy => "happy",
            Emotion::Sad => "sad",
            Emotion::Angry => "angry",
            Emotion::Fear => "fear",
            Emotion::Disgust => "disgust",
            Emotion::Surprise => "surprise",
            Emotion::Boredom => "boredom",
        }
    }
}

impl std::fmt::Display for Emotion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Emotion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Emotion::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown emotion {s:?}"))
    }
}

/// Speaker sex, where the corpus documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

impl Emotion {
    /// Parse a loose emotion word as found in file names and user manifests (case-insensitive).
    ///
    /// | emotion | accepted words |
    /// |---|---|
    /// | angry | angry, anger, ang |
    /// | happy | happy, happiness, joy, hap |
    /// | sad | sad, sadness |
    /// | fear | fear, fearful, afraid, fea |
    /// | surprise | surprise, surprised, ps, pleasant_surprise, pleasant_surprised |
    /// | neutral | neutral, neu |
    /// | calm | calm |
    /// | disgust | disgust, disgusted, dis |
    /// | boredom | boredom, bored |
    pub fn from_synonym(word: &str) -> Option<Emotion> {
        let w = word.trim().to_ascii_lowercase();
        Some(match w.as_str() {
            "angry" | "anger" | "ang" => Emotion::Angry,
            "happy" | "happiness" | "joy" | "hap" => Emotion::Happy,
            "sad" | "sadness" => Emotion::Sad,
            "fear" | "fearful" | "afraid" | "fea" => Emotion::Fear,
            "surprise" | "surprised" | "ps" | "pleasant_surprise" | "pleasant_surprised" => {
                Emotion::Surprise
            }
            "neutral" | "neu" => Emotion::Neutral,
            "calm" => Emotion::Calm,
            "disgust" | "disgusted" | "dis" => Emotion::Disgust,
            "boredom" | "bored" => Emotion::Boredom,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Sex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Sex {
    type Err = String;
    /// Accepts `male`/`m`/`female`/`f` in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "male" | "m" => Ok(Sex::Male),
            "female" | "f" => Ok(Sex::Female),
            _ => Err(format!("unknown sex {s:?}, expected male or female")),
        }
    }
}
