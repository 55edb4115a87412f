"""Offline dictation: word error, technical terms recognised, grade kept, speed and memory.

The test set is made at bench time, deterministically, from the answers in bench/speech/answers.toml
(written for this benchmark): each answer is spoken by Debian's flite in several voices and
speeds, and copies get sox pink noise mixed in at 30 and 20 dB SNR. Recordings by a person are
not possible on this machine (no microphone, no network); synthetic speech is easier than a
person's, so these figures are an upper bound.

    .venv/bin/python bench/bench_speech.py            # 96 recordings, ~5 min on 2 cores
    .venv/bin/python bench/bench_speech.py --quick    # 24 clean recordings
    .venv/bin/python bench/bench_speech.py --baseline # the wheel's own language model instead

Settings are chosen on the development answers, never on the test answers:

    .venv/bin/python bench/bench_speech.py --answers bench/speech/dev.toml --decoder lw=8 --model general_weight=0.1
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interviewer.bank import Bank  # noqa: E402
from interviewer.build import ensure_built  # noqa: E402
from interviewer.config import load_settings  # noqa: E402
from interviewer.grading import Grader  # noqa: E402
from interviewer.lexicon import Lexicon  # noqa: E402
from interviewer.speech.audio import read_wav, seconds_of, speaking_seconds, to_pcm, write_wav  # noqa: E402
from interviewer.speech.forms import Normaliser  # noqa: E402
from interviewer.speech.model import SpeechModel  # noqa: E402

ANSWERS = ROOT / "bench" / "speech" / "answers.toml"
VOICES = ("slt", "awb", "rms", "kal16")
SPEEDS = (1.0, 0.9, 1.15)  # flite duration_stretch: 0.9 is faster speech, 1.15 slower
SNRS = (30, 20)


# --------------------------------------------------------------------------- the test set


def load_answers(path: Path = ANSWERS) -> list[dict]:
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))["answer"]


def plain(text: str) -> str:
    """The answer as said: brackets and line breaks gone."""
    return " ".join(text.replace("[", "").replace("]", "").split())


def terms_of(text: str) -> list[str]:
    return re.findall(r"\[([^\]]+)\]", text)


def recordings(answers: list[dict], quick: bool) -> list[dict]:
    """Every recording: which answer, voice, speed and noise (deterministic)."""
    out = []
    for i, a in enumerate(answers):
        out.append({"answer": a["id"], "voice": VOICES[i % 4], "speed": SPEEDS[i % 3], "snr": None})
        if quick:
            continue
        out.append({"answer": a["id"], "voice": VOICES[(i + 2) % 4], "speed": 1.0, "snr": None})
        out.append({"answer": a["id"], "voice": VOICES[(i + 1) % 4], "speed": 1.0, "snr": SNRS[0]})
        out.append({"answer": a["id"], "voice": VOICES[(i + 3) % 4], "speed": 1.0, "snr": SNRS[1]})
    return out


def make_recording(rec: dict, text: str, work: Path) -> Path:
    """Speak the text with flite; mix in sox pink noise at the recording's SNR."""
    name = f"{rec['answer']}-{rec['voice']}-{rec['speed']}-{rec['snr'] or 'clean'}.wav"
    path = work / name
    if path.exists():
        return path
    clean = work / f"{rec['answer']}-{rec['voice']}-{rec['speed']}.wav"
    if not clean.exists():
        subprocess.run(["flite", "-voice", rec["voice"], "--setf", f"duration_stretch={rec['speed']}",
                        "-t", text, "-o", str(clean)], check=True)
    if rec["snr"] is None:
        return clean
    speech = np.frombuffer(read_wav(clean), dtype="<i2").astype(np.float64) / 32768.0
    noise_file = work / f"noise-{len(speech)}.wav"
    # sox's random numbers are the same on every run (-R), so the noise is too.
    subprocess.run(["sox", "-R", "-n", "-r", "16000", "-c", "1", "-b", "16", str(noise_file), "synth",
                    f"{len(speech) / 16000 + 0.5:.2f}", "pinknoise"], check=True)
    noise = np.frombuffer(read_wav(noise_file), dtype="<i2").astype(np.float64)[: len(speech)] / 32768.0
    voiced = speech[np.abs(speech) > 0.01]
    gain = np.sqrt(np.mean(voiced**2) / np.mean(noise**2) / 10 ** (rec["snr"] / 10))
    write_wav(path, to_pcm(speech + gain * noise))
    return path


# --------------------------------------------------------------------------- scoring


def wer_words(text: str, normalise: Normaliser) -> list[str]:
    """Words for WER: spoken forms written by the same normaliser, lowercased, punctuation gone."""
    said = " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("-", " ").replace(",", "")))
    written = normalise(said).text.lower().replace(",", "")
    return re.findall(r"[a-z0-9'%.]+", written)


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def contains(seq: list[str], sub: list[str]) -> bool:
    return any(seq[i : i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))


# --------------------------------------------------------------------------- decoding (worker processes)

_recognizer = None


def _init(model_dir: str, baseline: bool, options: dict) -> None:
    global _recognizer
    from interviewer.speech.recognizer import Recognizer

    if baseline:
        from interviewer.speech.model import wheel_model

        _recognizer = _WheelRecognizer(wheel_model())
    else:
        _recognizer = Recognizer(SpeechModel(Path(model_dir)), **options)


class _WheelRecognizer:
    """The wheel's own general-English language model and dictionary, for comparison."""

    def __init__(self, model: Path):
        from pocketsphinx import Decoder

        self.decoder = Decoder(hmm=str(model / "en-us"), lm=str(model / "en-us.lm.bin"),
                               dict=str(model / "cmudict-en-us.dict"), loglevel="FATAL")

    def transcribe(self, pcm: bytes):
        t = time.perf_counter()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, False, True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return {"text": hyp.hypstr if hyp else "", "decode_seconds": time.perf_counter() - t}


def _decode(path: str) -> dict:
    import psutil

    pcm = read_wav(path)
    cpu = time.process_time()
    result = _recognizer.transcribe(pcm)
    cpu = time.process_time() - cpu
    out = result if isinstance(result, dict) else {"text": result.text, "decode_seconds": result.decode_seconds}
    out["cpu_seconds"] = cpu
    out["seconds"] = seconds_of(pcm)
    out["rss_mb"] = psutil.Process().memory_info().rss / 2**20
    return out


# --------------------------------------------------------------------------- first partial


def first_partial(model_dir: Path, paths: list[Path], chunk: float = 0.25, listen: float = 4.0) -> list[float]:
    """Stream recordings in real time through the server's decoder pool (warm); return how long
    after speech starts the first partial text arrives, per recording."""
    from interviewer.speech.pool import DecoderPool, PoolLimits

    pool = DecoderPool(model_dir, PoolLimits(workers=1))
    delays = []
    try:
        warm = threading.Event()
        s = pool.open("warm-up", lambda k, d: warm.set() if k in ("final", "error") else None)
        s.end()
        warm.wait(60)
        for path in paths:
            pcm = read_wav(path)
            onset = _onset(pcm)
            got = threading.Event()
            arrived: list[float] = []
            done = threading.Event()

            def on_text(kind, data, arrived=arrived, got=got, done=done):
                if kind == "partial" and data["text"] and not arrived:
                    arrived.append(time.perf_counter())
                    got.set()
                if kind in ("final", "error"):
                    done.set()

            stream = pool.open("bench", on_text)
            step = int(chunk * 32000)
            started = time.perf_counter()
            for i in range(0, min(len(pcm), int(listen * 32000)), step):
                # Each chunk goes when its last sample would have been recorded.
                wait = started + (i + step) / 32000 - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                stream.feed(pcm[i : i + step])
                if got.is_set():
                    break
            got.wait(5)
            stream.end()
            done.wait(30)
            if arrived:
                delays.append(arrived[0] - started - onset)
    finally:
        pool.close()
    return delays


def _onset(pcm: bytes) -> float:
    """When speech starts: the first 30 ms frame that is voiced."""
    from pocketsphinx import Vad

    vad = Vad(2, 16000, 0.03)
    for i in range(0, len(pcm) - vad.frame_bytes, vad.frame_bytes):
        if vad.is_speech(pcm[i : i + vad.frame_bytes]):
            return i / 32000
    return 0.0


# --------------------------------------------------------------------------- the report


def summarise(rows: list[dict]) -> dict:
    errors = sum(r["errors"] for r in rows)
    words = sum(r["ref_words"] for r in rows)
    return {
        "recordings": len(rows),
        "wer": errors / words if words else 0.0,
        "terms": sum(r["terms_hit"] for r in rows) / max(1, sum(r["terms"] for r in rows)),
        "score_diff": statistics.mean(abs(r["score_diff"]) for r in rows),
        "grade_diff": statistics.mean(abs(r["grade_diff"]) for r in rows),
        "rtf": statistics.mean(r["rtf"] for r in rows),
        "rtf_p95": sorted(r["rtf"] for r in rows)[max(0, int(0.95 * len(rows)) - 1)],
        "cpu_rtf": statistics.mean(r["cpu_rtf"] for r in rows),
    }


def table(title: str, groups: dict[str, list[dict]]) -> str:
    lines = [f"| {title} | recordings | WER | terms | mean abs Δscore | mean abs Δgrade | RTF mean | RTF p95 | CPU RTF |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, rows in groups.items():
        s = summarise(rows)
        lines.append(f"| {name} | {s['recordings']} | {s['wer']:.1%} | {s['terms']:.1%} | {s['score_diff']:.3f} | "
                     f"{s['grade_diff']:.2f} | {s['rtf']:.3f} | {s['rtf_p95']:.3f} | {s['cpu_rtf']:.3f} |")
    return "\n".join(lines)


def _settings(pairs: list[str]) -> dict:
    """KEY=VALUE pairs → a dict, values read as numbers or booleans where they are."""
    out: dict = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        for kind in (int, float):
            try:
                out[key] = kind(value)
                break
            except ValueError:
                continue
        else:
            out[key] = {"true": True, "false": False}.get(value.lower(), value)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="24 clean recordings only")
    ap.add_argument("--baseline", action="store_true", help="decode with the wheel's general model instead")
    ap.add_argument("--workers", type=int, default=2, help="decoding processes (default 2: the machine's cores)")
    ap.add_argument("--work", default=None, help="where the recordings go (default: a temporary directory)")
    ap.add_argument("--json", default=None, help="write every recording's result to this file")
    ap.add_argument("--answers", default=str(ANSWERS), help="the answers to speak (bench/speech/dev.toml for tuning)")
    ap.add_argument("--decoder", action="append", default=[], metavar="KEY=VALUE",
                    help="a pocketsphinx setting over the recognizer's (e.g. lw=8, wip=0.5); repeatable")
    ap.add_argument("--model", action="append", default=[], metavar="KEY=VALUE",
                    help="a [model] setting of data/speech.toml for this run (e.g. general_weight=0.1); "
                         "the speech model is rebuilt with it; repeatable")
    ap.add_argument("--data", default=None, help="the data dir to build or reuse (default: a temporary directory)")
    args = ap.parse_args()

    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="bench-speech-data-"))
    settings = load_settings(data_dir=data, env={})
    t = time.perf_counter()
    ensure_built(settings)
    if args.model:
        from interviewer.ingest import load_corpus
        from interviewer.speech.model import build_speech_model
        from interviewer.speech.pronounce import load_tables

        tables = load_tables()
        tables["model"].update(_settings(args.model))
        speech_dir = Path(tempfile.mkdtemp(prefix="bench-speech-model-"))
        build_speech_model((s.text for d in load_corpus(settings.corpus_dir).documents for s in d.sections),
                           speech_dir, tables=tables)
    else:
        speech_dir = settings.speech_dir
    options = _settings(args.decoder)
    print(f"built the data dir (index + speech model) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    model = SpeechModel(speech_dir)
    normalise = Normaliser(model.forms())
    grader = Grader(Lexicon.load(settings.lexicon_path))
    bank = Bank.load(settings.bank_path)

    answers = {a["id"]: a for a in load_answers(Path(args.answers))}
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-speech-"))
    work.mkdir(parents=True, exist_ok=True)
    recs = recordings(list(answers.values()), args.quick)
    t = time.perf_counter()
    paths = [make_recording(r, plain(answers[r["answer"]]["text"]), work) for r in recs]
    audio_seconds = sum(seconds_of(read_wav(p)) for p in paths)
    print(f"{len(paths)} recordings, {audio_seconds / 60:.1f} min of audio, made in {time.perf_counter() - t:.1f} s",
          file=sys.stderr)

    t = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(args.workers, initializer=_init, initargs=(str(model.directory), args.baseline, options)) as pool:
        decoded = pool.map(_decode, [str(p) for p in paths], chunksize=1)
    wall = time.perf_counter() - t

    rows = []
    for rec, path, out in zip(recs, paths, decoded):
        a = answers[rec["answer"]]
        said = plain(a["text"])
        hyp_text = normalise(out["text"]).text
        ref, hyp = wer_words(said, normalise), wer_words(out["text"], normalise)
        terms = [wer_words(x, normalise) for x in terms_of(a["text"])]
        q = bank.get(a["question"])
        clean, heard = grader.grade(said, question=q), grader.grade(hyp_text, question=q)
        rows.append({**rec, "text": said, "heard": out["text"], "normalised": hyp_text,
                     "errors": edit_distance(ref, hyp), "ref_words": len(ref),
                     "terms": len(terms), "terms_hit": sum(contains(hyp, t) for t in terms),
                     "missed_terms": [" ".join(t) for t in terms if not contains(hyp, t)],
                     "score_diff": heard.score - clean.score, "grade_diff": heard.grade - clean.grade,
                     "rtf": out["decode_seconds"] / out["seconds"], "cpu_rtf": out["cpu_seconds"] / out["seconds"],
                     "rss_mb": out["rss_mb"],
                     "speaking_seconds": speaking_seconds(read_wav(path)), "seconds": out["seconds"]})

    model_name = "the wheel's general model" if args.baseline else "the domain model built from the corpus"
    print(f"\n### Dictation with {model_name}: {len(rows)} recordings, {audio_seconds / 60:.1f} min of audio\n")
    if args.decoder or args.model:
        print(f"settings: decoder {' '.join(args.decoder) or '(as shipped)'}; model {' '.join(args.model) or '(as shipped)'}\n")
    print(table("voice", {v: [r for r in rows if r["voice"] == v] for v in VOICES}))
    print()
    print(table("speed (flite duration_stretch)", {str(s): [r for r in rows if r["snr"] is None and r["speed"] == s]
                                                    for s in SPEEDS if any(r["speed"] == s and r["snr"] is None for r in rows)}))
    print()
    noise_groups = {"clean": [r for r in rows if r["snr"] is None]}
    for snr in SNRS:
        if any(r["snr"] == snr for r in rows):
            noise_groups[f"pink noise {snr} dB SNR"] = [r for r in rows if r["snr"] == snr]
    noise_groups["all"] = rows
    print(table("noise", noise_groups))
    print(f"\ndecoding wall time {wall:.1f} s for {audio_seconds:.0f} s of audio on {args.workers} processes "
          f"({wall / audio_seconds:.3f} × real time overall); decoder process RSS max "
          f"{max(r['rss_mb'] for r in rows):.0f} MB")
    missed: dict[str, int] = {}
    for r in rows:
        for m in r["missed_terms"]:
            missed[m] = missed.get(m, 0) + 1
    print("most missed terms:", ", ".join(f"{k} ×{v}" for k, v in sorted(missed.items(), key=lambda kv: -kv[1])[:12]))
    if not args.baseline and not args.quick:
        clean = [p for r, p in zip(recs, paths) if r["snr"] is None][:6]
        delays = first_partial(model.directory, clean)
        if delays:
            print(f"first partial text after speech starts (streamed in real time, 0.25 s chunks, warm pool): "
                  f"median {statistics.median(delays):.2f} s, max {max(delays):.2f} s over {len(delays)} recordings")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
