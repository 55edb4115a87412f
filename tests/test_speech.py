"""Offline dictation: the language model writer, pronunciations, spoken-form normalisation, audio
input, the decoder pool's limits, and real transcriptions of flite recordings."""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import threading
import wave

import numpy as np
import pytest

from interviewer.speech.arpa import Background, count_ngrams, kneser_ney, to_arpa
from interviewer.speech.audio import AudioError, Limits, decode_wav, seconds_of
from interviewer.speech.forms import Normaliser
from interviewer.speech.frames import emphasised, framed, load_frames, synonym_wordings
from interviewer.speech.model import SpeechModel, general_table, wheel_dictionary
from interviewer.speech.numbers import read_integer, say_integer, say_number
from interviewer.speech.pool import Busy, DecoderPool, PoolLimits
from interviewer.speech.pronounce import Pronouncer
from interviewer.speech.verbalise import verbalise

# --------------------------------------------------------------------------- the language model

TINY = [["a", "b"], ["a", "c"]]


def parse_arpa(text: str) -> tuple[dict[int, int], dict[int, list[list[str]]]]:
    """Return the header counts and the n-gram lines of each section of an ARPA file."""
    header = {int(n): int(c) for n, c in re.findall(r"^ngram (\d+)=(\d+)$", text, re.M)}
    sections: dict[int, list[list[str]]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^\\(\d+)-grams:$", line)
        if m:
            current = int(m.group(1))
            sections[current] = []
        elif line == "\\end\\":
            current = None
        elif current and line.strip():
            sections[current].append(line.split("\t"))
    return header, sections


def test_a_tiny_corpus_gives_a_valid_arpa_file_with_the_right_counts():
    text = to_arpa(kneser_ney(TINY, order=3))
    assert text.lstrip().startswith("\\data\\") and text.rstrip().endswith("\\end\\")
    header, sections = parse_arpa(text)
    # <s> </s> <unk> a b c; <s> a, a b, b </s>, a c, c </s>; <s> a b, a b </s>, <s> a c, a c </s>.
    assert header == {1: 6, 2: 5, 3: 4}
    assert {n: len(lines) for n, lines in sections.items()} == header
    assert sorted(line[1] for line in sections[3]) == ["<s> a b", "<s> a c", "a b </s>", "a c </s>"]
    for n, lines in sections.items():
        for line in lines:
            assert len(line[1].split()) == n
            assert float(line[0]) <= 0.0
    # Only n-grams that something follows carry a backoff weight; the highest order never does.
    with_backoff = {line[1] for line in sections[2] if len(line) == 3}
    assert with_backoff == {"<s> a", "a b", "a c"}
    assert all(len(line) == 2 for line in sections[3])


def test_every_context_is_a_probability_distribution():
    sentences = [s.split() for s in ["the leader sends heartbeats", "the follower times out",
                                     "a follower becomes the leader", "the leader wins the vote"]]
    model = kneser_ney(sentences, order=3)
    vocab = [g[0] for g in model.grams(1) if g[0] != "<s>"]
    for context in [(), ("the",), ("<s>",), ("the", "leader"), ("never", "seen"), ("<s>", "the")]:
        assert math.isclose(sum(model.prob(w, context) for w in vocab), 1.0, rel_tol=1e-9)
    # Kneser-Ney: a word seen after many different words is likelier in a new context than one
    # seen as often, but only ever after the same word.
    model = kneser_ney([["san", "francisco"]] * 3 + [["red", "glasses"], ["new", "glasses"], ["my", "glasses"]])
    assert model.prob("glasses", ("unseen",)) > 2 * model.prob("francisco", ("unseen",))


def test_counts_pad_every_sentence():
    counts = count_ngrams([["x"]], 2)
    assert counts == {("<s>",): 1, ("x",): 1, ("</s>",): 1, ("<s>", "x"): 1, ("x", "</s>"): 1}


def test_a_general_word_list_is_mixed_into_the_unigrams():
    model = kneser_ney(TINY, order=2, general={"d": 0.5, "a": 0.5}, general_weight=0.5)
    vocab = [g[0] for g in model.grams(1) if g[0] != "<s>"]
    assert "d" in vocab
    assert math.isclose(sum(model.prob(w) for w in vocab), 1.0, rel_tol=1e-9)


def test_general_trigrams_are_mixed_into_the_domain_trigrams():
    sentences = [["we", "use", "a", "lease"], ["a", "lease", "expires"], ["it", "can", "expire"]]
    general = Background(ngrams={("it", "can"): 0.3, ("it", "can", "give"): 0.6, ("a", "new"): 0.2},
                         backoff={("it",): 0.5, ("a",): 0.5, ("it", "can"): 0.3},
                         unigram={"it": 0.3, "can": 0.3, "give": 0.2, "a": 0.1, "new": 0.1},
                         weight=0.2, trigram_weight=0.5)
    domain = kneser_ney(sentences, order=3, vocabulary=["give", "new"])
    mixed = kneser_ney(sentences, order=3, vocabulary=["give", "new"], background=general)
    # "it can give": general English the notes never write, now likely after "it can".
    assert mixed.prob("give", ["it", "can"]) > 5 * domain.prob("give", ["it", "can"])
    assert mixed.prob("expire", ["it", "can"]) > 0.3  # the domain's own trigram still leads
    vocab = [g[0] for g in mixed.grams(1) if g[0] != "<s>"]
    for context in [("it", "can"), ("use", "a"), ("a",), ()]:
        assert math.isclose(sum(mixed.prob(w, context) for w in vocab), 1.0, rel_tol=1e-9)


def test_the_general_english_table_has_trigrams_with_their_histories_backoffs():
    table = general_table()
    trigrams = [g for g in table.ngrams if len(g) == 3]
    assert len(trigrams) > 10_000
    assert all(g[:2] in table.backoff for g in trigrams)


# --------------------------------------------------------------------------- terms in spoken frames


def test_each_term_is_said_in_frames_of_different_kinds():
    frames = ["<s> i'd use X", "the X", "X because", "like X </s>"]
    assert framed([("bloom", "filter"), ("raft",)], frames, per_term=2) == [
        ("<s>", "i'd", "use", "bloom", "filter"), ("bloom", "filter", "because"),
        ("the", "raft"), ("like", "raft", "</s>"),
    ]
    assert framed([("raft",)], frames, per_term=0) == []


def test_every_frame_has_one_slot_and_marks_only_its_own_start_or_end():
    for frame in load_frames()["frames"]:
        words = frame.split()
        assert words.count("X") == 1, frame
        assert "<s>" not in words[1:] and "</s>" not in words[:-1], frame
        assert all(w in ("X", "<s>", "</s>") or w == w.lower() for w in words), frame


def test_short_forms_of_the_synonym_table_the_dictionary_lacks_are_said_as_letters():
    table = {"abbreviations": {"repository": ["repo"]}, "acronyms": {"service level objective": ["slo"]},
             "terms": {"cache stampede": ["dogpile"]}}
    assert synonym_wordings({"repo": ["R IY P OW"]}, 6, table) == [
        "repository", "repo", "service level objective", "SLO", "cache stampede", "dogpile"]


def test_terms_the_notes_never_write_are_in_the_model_in_spoken_frames(built_settings):
    model = SpeechModel(built_settings.speech_dir)
    lexicon = {line.split()[0]: line.split(None, 1)[1] for line in model.dictionary.read_text().splitlines()}
    # From the synonym table ("dogpile", "dlq" said as letters) and the hand-kept list ("kill switch").
    assert lexicon["dlq"] == "D IY EH L K Y UW"
    assert "dogpile" in lexicon and "tombstone" in lexicon
    arpa = model.lm.read_text()
    assert "\tkill switch\t" in arpa and "\tdogpile" in arpa


# --------------------------------------------------------------------------- numbers and verbalising


@pytest.mark.parametrize("n", [0, 7, 13, 20, 99, 101, 999, 1000, 1001, 10_000, 10_500, 128_000, 2_500_000])
def test_numbers_are_said_and_read_back(n):
    said = say_integer(n)
    assert read_integer(said) == (n, len(said))


def test_written_numbers_are_said():
    assert say_number("10,000") == ["ten", "thousand"]
    assert say_number("99.9") == ["ninety", "nine", "point", "nine"]


def test_notes_become_the_sentences_a_candidate_would_say():
    said = verbalise(["Two-Phase Commit (2PC) blocks at 10,000 QPS, e.g. under 50ms; p99 → 99.9% in K8s.\n"
                      "```\nint x = call();\n```"],
                     say={"%": "percent", "→": "to", "e.g.": "for example"}, units={"ms": "milliseconds"})
    assert said.sentences == (
        ("two", "phase", "commit"),
        ("2pc",),
        ("blocks", "at", "ten", "thousand", "qps", "for", "example", "under", "fifty", "milliseconds"),
        ("p99", "to", "ninety", "nine", "point", "nine", "percent", "in", "k8s"),
    )
    assert said.written["2pc"]["2PC"] == 1


def test_a_spoken_answer_runs_from_one_sentence_into_the_next():
    said = verbalise(["The leader crashes. Then a follower wins the election."], say={}, units={})
    assert list(said.joins(2)) == [("leader", "crashes", "then", "a")]
    alone = kneser_ney(said.sentences, order=3)
    joined = kneser_ney(said.sentences, order=3, fragments=said.joins(2))
    # Said without a pause the recognizer hears no sentence end: "crashes then" must be likely.
    assert joined.prob("then", ["leader", "crashes"]) > 5 * alone.prob("then", ["leader", "crashes"])
    assert joined.prob("follower", ["then", "a"]) == pytest.approx(alone.prob("follower", ["then", "a"]), rel=0.3)


def test_an_opening_phrase_is_followed_by_the_answer_not_by_its_end():
    sentences = [["we", "use", "a", "saga"], ["a", "saga", "compensates"]]
    as_sentence = kneser_ney([*sentences, ["so", "i'd", "use", "a"]], order=3)
    as_opening = kneser_ney(sentences, order=3, fragments=[("<s>", "so", "i'd", "use", "a")])
    assert as_opening.prob("saga", ["use", "a"]) > as_sentence.prob("saga", ["use", "a"])
    assert as_opening.prob("</s>", ["use", "a"]) < as_sentence.prob("</s>", ["use", "a"])
    assert as_opening.prob("so", ["<s>"]) > 0.1


# --------------------------------------------------------------------------- pronunciations


@pytest.fixture(scope="module")
def pronouncer():
    return Pronouncer(wheel_dictionary())


@pytest.mark.parametrize("token, rule, phones", [
    ("CQRS", "letters", "S IY K Y UW AA R EH S"),  # an acronym the dictionary lacks: spelled
    ("Kafka", "dictionary", "K AA F K AH"),
    ("redis", "exception", "R EH D IH S"),  # hand-kept (data/speech.toml)
    ("retries", "ending", "R IY T R AY Z"),  # retry + es
    ("sharding", "ending", "SH AA R D IH NG"),  # shard + ing
    ("toggles", "ending", "T AA G AH L Z"),  # toggle + s
    ("failover", "compound", "F EY L OW V ER"),
    ("2PC", "pieces", "T UW P IY S IY"),  # a number, then letters
    ("p99", "pieces", "P IY N AY N T IY N AY N"),
    ("mTLS", "pieces", "EH M T IY EH L EH S"),
])
def test_words_the_dictionary_lacks_get_a_pronunciation_by_a_named_rule(pronouncer, token, rule, phones):
    found = pronouncer.pronounce(token)
    assert (found.rule, " ".join(found.phones)) == (rule, phones)


def test_plurals_of_acronyms_and_possessives_end_in_a_voiced_s(pronouncer):
    assert pronouncer.pronounce("CRDTs").phones[-3:] == ("T", "IY", "Z")
    assert pronouncer.pronounce("server's").phones[-1] == "Z"


def test_the_article_a_is_said_as_in_a_sentence_and_as_a_letter(pronouncer):
    # "a saga" is said AH S AA G AH; "C D C" and "a b c" spell letters: a recognizer that only
    # knows EY hears "the saga" for "a saga".
    assert set(pronouncer.variants("a")) == {"AH", "EY"}
    assert pronouncer.variants("c") == ["S IY"]


def test_a_word_no_dictionary_knows_is_spelled_out_by_sound(pronouncer):
    found = pronouncer.pronounce("zorbulate")
    assert found.rule == "spelling" and found.phones[0] == "Z"


# --------------------------------------------------------------------------- spoken forms


@pytest.fixture(scope="module")
def normalise():
    return Normaliser({"dynamodb": "DynamoDB"})


@pytest.mark.parametrize("said, written", [
    ("the p ninety nine is under two hundred milliseconds", "the p99 is under 200 milliseconds"),
    ("k eight s", "k8s"),
    ("c d c from the log", "CDC from the log"),
    ("ten thousand q p s", "10,000 QPS"),
    ("ten thousand qps", "10,000 QPS"),
    ("two p c blocks", "2PC blocks"),
    ("e c two and s three", "EC2 and S3"),
    ("ninety nine point nine percent", "99.9%"),
    ("a hundred twenty eight bits", "128 bits"),
    ("we store it in dynamodb", "we store it in DynamoDB"),
    ("use a c d c stream", "use a CDC stream"),  # "a" is an article, not a letter of the term
    ("three replicas and one of them", "three replicas and one of them"),  # small numbers stay words
    ("replicas merge crdt s", "replicas merge CRDTs"),  # an acronym's plural heard as its s alone
    ("version the api s", "version the APIs"),
    ("it is a s", "it is a s"),
    ("i think so", "i think so"),
])
def test_spoken_forms_are_written_before_grading(normalise, said, written):
    assert normalise(said).text == written


def test_every_rewrite_is_named(normalise):
    changes = normalise("ten thousand q p s").changes
    assert [(c.rule, c.written) for c in changes] == [("number", "10,000"), ("letters", "QPS")]
    assert [(c.rule, c.written) for c in normalise("crdt s").changes] == [("form", "CRDT"), ("plural", "CRDTs")]


# --------------------------------------------------------------------------- audio input


def wav_bytes(samples: np.ndarray, rate: int = 16000, channels: int = 1, width: int = 2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def tone(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 10000).astype("<i2")


def test_other_rates_are_resampled_and_stereo_is_mixed_down():
    pcm = decode_wav(wav_bytes(np.repeat(tone(1.0, 44100), 2), rate=44100, channels=2))
    assert seconds_of(pcm) == pytest.approx(1.0, abs=0.001)
    samples = np.frombuffer(pcm, dtype="<i2")
    # Still a 440 Hz tone: the strongest frequency of the resampled audio.
    assert abs(np.argmax(np.abs(np.fft.rfft(samples))) * 16000 / len(samples) - 440) < 2


@pytest.mark.parametrize("data, message", [
    (b"hello, not audio at all", "is not a PCM WAV file"),
    (b"RIFF", "is not a WAV file"),
    (wav_bytes(np.zeros(0, dtype="<i2")), "holds no audio"),
    (wav_bytes(tone(2.0, 16000)), "is 2 s long; recordings of at most 1 s"),
    (wav_bytes(tone(0.1, 4000), rate=4000), "sample rate of 4000 Hz"),
])
def test_bad_recordings_are_refused_with_a_clear_message(data, message):
    with pytest.raises(AudioError, match=re.escape(message)):
        decode_wav(data, name="x.wav", limits=Limits(max_seconds=1))


# --------------------------------------------------------------------------- recordings


@pytest.fixture(scope="module")
def flite_wav(tmp_path_factory):
    if not shutil.which("flite"):
        pytest.skip("flite is missing (apt-get install flite; .ci/run installs it)")

    def make(text: str, voice: str = "slt") -> str:
        path = tmp_path_factory.mktemp("flite") / "said.wav"
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True)
        return str(path)

    return make


def test_transcribe_hears_the_terms_of_the_notes(cli, flite_wav):
    path = flite_wav("I would use change data capture to stream the write ahead log into Kafka.")
    result = cli("transcribe", "--json", path)
    assert result.exit_code == 0, result.output
    import json

    heard = json.loads(result.stdout)
    assert "kafka" in heard["text"] and "write ahead log" in heard["text"]
    assert 3 < heard["seconds"] < 8 and 0 < heard["speaking_seconds"] <= heard["seconds"]
    assert heard["words"][0]["start"] < heard["words"][-1]["end"]
    assert heard["real_time_factor"] > 0


def test_grade_audio_grades_what_was_said_with_speaking_time_from_the_audio(cli, flite_wav):
    path = flite_wav("So basically I would use a saga: each service commits a local transaction, and if a step "
                     "fails we run compensating transactions to undo the earlier steps.")
    result = cli("grade", "--id", "000-open-181", "--audio", path, "--json")
    assert result.exit_code == 0, result.output
    import json

    card = json.loads(result.stdout)
    assert card["grade"] > 0
    assert "compensating transactions" in card["audio"]["text"]
    assert card["delivery"]["speaking_seconds"] == card["audio"]["speaking_seconds"]


def test_an_article_and_a_number_are_heard_as_said(built_settings, flite_wav):
    from interviewer.speech.audio import read_wav
    from interviewer.speech.recognizer import Recognizer

    recognizer = Recognizer(SpeechModel(built_settings.speech_dir))
    heard = recognizer.transcribe(read_wav(flite_wav("I would use a token bucket that refills one hundred "
                                                     "tokens every second.")))
    assert "use a token bucket" in heard.text
    assert "100 tokens" in heard.normalised


def test_a_quiet_microphone_is_heard_and_the_speaker_before_does_not_matter(built_settings, flite_wav):
    from interviewer.speech.audio import read_wav, to_pcm
    from interviewer.speech.recognizer import Recognizer

    recognizer = Recognizer(SpeechModel(built_settings.speech_dir))
    said = read_wav(flite_wav("Each service commits a local transaction and publishes an event to Kafka."))
    quiet = to_pcm(np.frombuffer(said, dtype="<i2") / 32768.0 * 0.05)  # 26 dB down
    recognizer.transcribe(read_wav(flite_wav("Raft elects a leader with a majority of votes.", voice="awb")))
    first = recognizer.transcribe(quiet).text
    assert "local transaction" in first and "kafka" in first  # from the model's mean: "a little transaction"
    recognizer.transcribe(said)
    assert recognizer.transcribe(quiet).text == first


def test_bad_audio_on_the_command_line_is_an_error(cli, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not a recording")
    result = cli("transcribe", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "is not a PCM WAV file" in result.stderr
    missing = cli("transcribe", str(tmp_path / "none.wav"))
    assert missing.exit_code == 1 and "cannot read" in missing.stderr


def test_numbers_are_in_the_model_as_they_are_said(built_settings):
    arpa = SpeechModel(built_settings.speech_dir).lm.read_text()
    for said in ("four twenty nine", "twenty seven", "ten thousand", "a couple hundred"):
        assert f"\t{said}" in arpa or f"\t{said}\t" in arpa, said


def test_the_build_writes_the_speech_model_into_the_manifest(built_settings):
    import json

    model = SpeechModel(built_settings.speech_dir).check()
    manifest = json.loads(built_settings.manifest_path.read_text())
    assert {"speech/domain.arpa", "speech/domain.dict", "speech/forms.json"} <= set(manifest["files"])
    words = {line.split()[0] for line in model.dictionary.read_text().splitlines()}
    assert {"cdc", "2pc", "kafka", "idempotency", "raft"} <= words
    assert model.forms()["2pc"] == "2PC"


# --------------------------------------------------------------------------- the pool


class Collector:
    """Collects a stream's callbacks; `done` is set on its final text or error."""

    def __init__(self):
        self.events: list[tuple[str, dict]] = []
        self.done = threading.Event()

    def __call__(self, kind, data):
        self.events.append((kind, data))
        if kind in ("final", "error"):
            self.done.set()


def test_the_pool_keeps_its_limits_and_decodes_in_a_worker(built_settings, flite_wav):
    from interviewer.speech.audio import read_wav

    pool = DecoderPool(built_settings.speech_dir, PoolLimits(workers=1, max_seconds=2.0, max_chunk_bytes=16000))
    try:
        first = Collector()
        stream = pool.open("alice", first)
        with pytest.raises(Busy, match="already dictating"):
            pool.open("alice", Collector())
        with pytest.raises(Busy, match="all 1 speech recognizers are in use"):
            pool.open("bob", Collector())
        with pytest.raises(AudioError, match="too big"):
            stream.feed(b"\0" * 16002)
        with pytest.raises(AudioError, match="whole 16-bit samples"):
            stream.feed(b"\0" * 3)
        pcm = (read_wav(flite_wav("Raft elects a leader.")) + b"\0" * 64000)[:64000]  # 2 s
        for i in range(0, len(pcm), 16000):
            stream.feed(pcm[i : i + 16000])
        with pytest.raises(AudioError, match="limit of 2 s"):
            stream.feed(b"\0" * 2)
        stream.end()
        assert first.done.wait(60)
        kind, final = first.events[-1]
        assert kind == "final" and "leader" in final["text"]
        assert pool.workers() and pool.workers()[0] != __import__("os").getpid()
        # The decoder is free again: the next connection gets it.
        second = Collector()
        pool.open("bob", second).end()
        assert second.done.wait(60) and second.events[-1][0] == "final"
    finally:
        pool.close()


def test_the_notes_bold_names_become_terms_but_initials_and_code_do_not():
    notes = ("**CAP** says: in a **P**artition choose between **Consistency** and\n**Availability "
             "Zones**.\n\n```\n**not a name** in code\n```\n| a | **Bloom filter** |\n|---|---|\n")
    assert list(emphasised([notes])) == ["CAP", "Consistency", "Availability Zones", "Bloom filter"]
