//! The manifest matches the reference data, and downloads verify what they fetch.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::*;
use llm_data::DataError;
use llm_data::corpus::{DataDir, Manifest, download, read_text_file, sha256_file};

#[test]
fn manifest_checksums_match_the_reference_data() {
    let dir = DataDir::new(data_dir());
    for entry in &Manifest::builtin().datasets {
        let path = dir.path_of(entry);
        assert_eq!(sha256_file(&path).unwrap(), entry.sha256, "{}", path.display());
        assert_eq!(dir.fetch(&entry.name).unwrap(), path, "present files are used as they are");
    }
}

/// Serves `body` to `requests` connections on a loopback port, then stops.
fn serve(body: Vec<u8>, requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/file.txt", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&body).unwrap();
        }
    });
    url
}

const HELLO_SHA256: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

#[test]
fn download_verifies_the_checksum() {
    let url = serve(b"hello".to_vec(), 2);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("sub/file.txt");
    download(&url, None, &dest, HELLO_SHA256).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"hello");

    let other = dir.path().join("other.txt");
    let err = download(&url, None, &other, &"0".repeat(64)).unwrap_err();
    assert!(matches!(err, DataError::Checksum { .. }), "{err}");
    assert!(!other.exists(), "a file that fails its checksum is not kept");
}

#[test]
fn fetch_downloads_missing_files_and_explains_when_offline() {
    let url = serve(b"hello".to_vec(), 1);
    let manifest = Manifest::parse(&format!(
        r#"[[dataset]]
name = "hello"
file = "hello.txt"
url = "{url}"
sha256 = "{HELLO_SHA256}"
licence = "test"
format = "text"
description = "test"

[[dataset]]
name = "offline"
file = "dir/offline.txt"
url = "http://127.0.0.1:9/offline.txt"
sha256 = "{HELLO_SHA256}"
licence = "test"
format = "text"
description = "test""#
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path()).with_manifest(manifest);
    let path = data.fetch("hello").unwrap();
    assert_eq!(std::fs::read_to_string(path).unwrap(), "hello");

    let err = data.fetch("offline").unwrap_err().to_string();
    assert!(err.contains("offline") && err.contains("dir/offline.txt") && err.contains("LLM_DATA_DIR"), "{err}");
}

#[test]
fn text_files_must_be_non_empty_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    assert!(read_text_file(&empty).unwrap_err().to_string().contains("empty.txt: the file is empty"));
    let binary = dir.path().join("model.bin");
    std::fs::write(&binary, [0u8, 159, 146, 150]).unwrap();
    assert!(read_text_file(&binary).unwrap_err().to_string().contains("binary"));
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(&latin1, [b'c', b'a', b'f', 0xE9]).unwrap();
    assert!(read_text_file(&latin1).unwrap_err().to_string().contains("UTF-8 at byte 3"));
}
