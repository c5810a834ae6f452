"""Sentence pairs for experiments/translate-small.toml: lines of Tiny Shakespeare and their
Pig Latin, a synthetic transduction task (no parallel corpus with a licence that allows it
ships with the package registries this project can reach; see the experiment's header).

Pig Latin, per word: a word that starts with a vowel gains "way" ("and" -> "andway"); else
its leading consonants (with "qu" kept whole, "y" a consonant only first) move to its end
before "ay" ("thee" -> "eethay", "queen" -> "eenquay"); a capital first letter stays first
("Romeo" -> "Omeoray"); punctuation stays where it was. The model must learn to move
characters across subword boundaries, which BLEU and chrF on held-out lines measure.

Lines of 3 to 10 words that are not a speaker's name, each once, shuffled with a fixed seed
(so the held-out tail of the file is a random sample): 22,568 pairs; standard library only.

    python3 scripts/make_translation_pairs.py TINYSHAKESPEARE.txt OUT.tsv
"""

import random
import re
import sys

WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
VOWELS = set("aeiouAEIOU")


def pig_latin_word(word: str) -> str:
    letters = word.replace("'", "")
    if letters[0] in VOWELS:
        out = letters + "way"
    else:
        i = 0
        while i < len(letters) and (letters[i] not in VOWELS and not (i > 0 and letters[i] in "yY")):
            i += 2 if letters[i : i + 2].lower() == "qu" else 1
        out = letters[i:] + letters[:i] + "ay"
    if word[0].isupper():
        out = out[0].upper() + out[1:].lower()
    else:
        out = out.lower()
    return out


def pig_latin(line: str) -> str:
    return WORD.sub(lambda m: pig_latin_word(m.group(0)), line)


def main(source: str, out: str) -> None:
    seen = set()
    lines = []
    with open(source, encoding="utf-8") as f:
        for raw in f:
            line = " ".join(raw.split())
            words = len(line.split())
            if not line or line.endswith(":") or not 3 <= words <= 10 or line in seen:
                continue
            seen.add(line)
            lines.append(line)
    random.Random(123).shuffle(lines)
    with open(out, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(f"{line}\t{pig_latin(line)}\n")
    print(f"{len(lines)} pairs -> {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    main(sys.argv[1], sys.argv[2])
