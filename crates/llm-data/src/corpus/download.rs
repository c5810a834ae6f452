use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::DataError;

/// Downloads `url` to `dest` with a progress bar (on stderr), extracting `member` when the
/// URL is a zip archive, and keeps it only if its sha256 is `sha256`. The file appears
/// under its final name only when complete and verified.
pub fn download(url: &str, member: Option<&str>, dest: &Path, sha256: &str) -> Result<(), DataError> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_recv_body(Some(Duration::from_secs(300)))
            .build(),
    );
    let response = agent
        .get(url)
        .call()
        .map_err(|e| DataError::io(dest, std::io::Error::other(e.to_string())))?;
    let total = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let bar = match total {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template("{msg} {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})")
                .expect("valid template"),
        ),
        None => ProgressBar::new_spinner(),
    };
    bar.set_message(format!("downloading {url}"));
    let mut body = Vec::new();
    let mut reader = response.into_body().into_reader();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|e| DataError::io(dest, e))?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    let bytes = match member {
        Some(member) => extract_member(&body, member, dest)?,
        None => body,
    };
    let found = hex(&Sha256::digest(&bytes));
    if found != sha256 {
        return Err(DataError::Checksum {
            path: dest.to_path_buf(),
            expected: sha256.to_string(),
            found,
        });
    }
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    }
    let tmp = dest.with_extension("download.tmp");
    let mut file = std::fs::File::create(&tmp).map_err(|e| DataError::io(&tmp, e))?;
    file.write_all(&bytes).map_err(|e| DataError::io(&tmp, e))?;
    file.sync_all().map_err(|e| DataError::io(&tmp, e))?;
    std::fs::rename(&tmp, dest).map_err(|e| DataError::io(dest, e))
}

fn extract_member(zip_bytes: &[u8], member: &str, dest: &Path) -> Result<Vec<u8>, DataError> {
    let bad = |m: String| DataError::invalid(dest, m);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes))
        .map_err(|e| bad(format!("downloaded archive is not a zip file: {e}")))?;
    let mut file = archive
        .by_name(member)
        .map_err(|e| bad(format!("archive has no member `{member}`: {e}")))?;
    let mut out = Vec::new();
    file.read_to_end(&mut out)
        .map_err(|e| bad(format!("cannot extract `{member}`: {e}")))?;
    Ok(out)
}

/// The sha256 of a file, in lowercase hex (read in 1 MiB pieces, so a large file is never
/// held in memory).
pub fn sha256_file(path: &Path) -> Result<String, DataError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buffer).map_err(|e| DataError::io(path, e))? {
            0 => return Ok(hex(&hasher.finalize())),
            n => hasher.update(&buffer[..n]),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
