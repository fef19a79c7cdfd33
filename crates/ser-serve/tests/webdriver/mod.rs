//! The few W3C WebDriver commands the browser test needs, over the HTTP client the other tests
//! already use. Written here rather than taken from a WebDriver crate: the one of good standing
//! (`fantoccini`) brings its own TLS stack (rustls with aws-lc, a C build) into every test build,
//! for a driver that only ever listens on loopback.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, Error>;

/// The W3C key of an element reference in WebDriver answers.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How to find elements.
#[derive(Debug, Clone, Copy)]
pub enum Locator<'a> {
    Id(&'a str),
    Css(&'a str),
}

impl Locator<'_> {
    fn selector(self) -> String {
        match self {
            Locator::Id(id) => format!("#{id}"),
            Locator::Css(css) => css.to_string(),
        }
    }
}

/// A WebDriver session.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    session: String,
}

/// An element of the page.
#[derive(Debug, Clone)]
pub struct Element {
    client: Client,
    id: String,
}

impl Client {
    /// Opens a session on the driver at `driver_url` with `capabilities` (`alwaysMatch`).
    pub async fn connect(driver_url: &str, capabilities: Value) -> Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let answer: Value = http
            .post(format!("{driver_url}/session"))
            .json(&json!({ "capabilities": { "alwaysMatch": capabilities } }))
            .send()
            .await?
            .json()
            .await?;
        let session = answer["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session: {answer}"))?
            .to_string();
        Ok(Client {
            http,
            session: format!("{driver_url}/session/{session}"),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.session));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let answer: Value = req.send().await?.json().await?;
        let value = answer["value"].clone();
        if let Some(e) = value.get("error").and_then(Value::as_str) {
            let msg = value["message"].as_str().unwrap_or_default();
            return Err(format!("WebDriver {path}: {e}: {msg}").into());
        }
        Ok(value)
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.post("/url", json!({ "url": url })).await.map(drop)
    }

    fn element(&self, v: &Value) -> Result<Element> {
        Ok(Element {
            client: self.clone(),
            id: v[ELEMENT_KEY]
                .as_str()
                .ok_or_else(|| format!("not an element: {v}"))?
                .to_string(),
        })
    }

    pub async fn find(&self, locator: Locator<'_>) -> Result<Element> {
        let v = self
            .post(
                "/element",
                json!({ "using": "css selector", "value": locator.selector() }),
            )
            .await?;
        self.element(&v)
    }

    pub async fn find_all(&self, locator: Locator<'_>) -> Result<Vec<Element>> {
        let v = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": locator.selector() }),
            )
            .await?;
        v.as_array()
            .ok_or("elements: not a list")?
            .iter()
            .map(|e| self.element(e))
            .collect()
    }

    /// Waits up to `timeout` for an element matching `locator`.
    pub async fn wait_for_element(
        &self,
        locator: Locator<'_>,
        timeout: Duration,
    ) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.find(locator).await {
                Ok(e) => return Ok(e),
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Runs `script` asynchronously (it calls `arguments[arguments.length - 1]` with its result).
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
            .await
    }

    pub async fn source(&self) -> Result<String> {
        Ok(self
            .get("/source")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// The visible page as PNG bytes.
    pub async fn screenshot(&self) -> Result<Vec<u8>> {
        let b64 = self.get("/screenshot").await?;
        decode_base64(b64.as_str().ok_or("screenshot: not a string")?)
    }

    /// Ends the session (and closes the browser).
    pub async fn close(&self) -> Result<()> {
        self.call(reqwest::Method::DELETE, "", None).await.map(drop)
    }
}

impl Element {
    pub async fn text(&self) -> Result<String> {
        let v = self
            .client
            .get(&format!("/element/{}/text", self.id))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    pub async fn attr(&self, name: &str) -> Result<Option<String>> {
        let v = self
            .client
            .get(&format!("/element/{}/attribute/{name}", self.id))
            .await?;
        Ok(v.as_str().map(str::to_string))
    }

    /// Clicks the element.
    pub async fn click(&self) -> Result<()> {
        self.client
            .post(&format!("/element/{}/click", self.id), json!({}))
            .await
            .map(drop)
    }

    /// Types `text` into the element (for `<input type=file>`: the path of the file to upload).
    pub async fn send_keys(&self, text: &str) -> Result<()> {
        self.client
            .post(
                &format!("/element/{}/value", self.id),
                json!({ "text": text }),
            )
            .await
            .map(drop)
    }
}

/// Standard base64 (RFC 4648, padding optional) to bytes.
fn decode_base64(s: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("not base64: byte {c}").into()),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

#[test]
fn base64_decodes_rfc4648_vectors() {
    for (enc, dec) in [
        ("", ""),
        ("Zg==", "f"),
        ("Zm8=", "fo"),
        ("Zm9v", "foo"),
        ("Zm9vYg==", "foob"),
        ("Zm9vYmE=", "fooba"),
        ("Zm9vYmFy", "foobar"),
    ] {
        assert_eq!(decode_base64(enc).expect("valid"), dec.as_bytes());
    }
    assert!(decode_base64("Zm9v!").is_err());
}
