"""The recognizer: pocketsphinx with the wheel's acoustic model and the corpus's speech model.

One `Recognizer` holds one loaded decoder (70–120 MB) and decodes one recording at a time. It
holds Python's lock while it decodes, so a server runs it in worker processes (speech/pool.py);
the CLI runs it in-process.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

from interviewer.speech.audio import BYTES_PER_SECOND, seconds_of, speaking_seconds
from interviewer.speech.forms import Normaliser
from interviewer.speech.model import SpeechModel

# Decoder settings; pocketsphinx's own defaults unless a reason is given.
DECODER_DEFAULTS: dict[str, Any] = {
    "loglevel": "FATAL",  # the decoder logs every utterance to stderr otherwise
}
# The decoder's frame rate: segment times come in frames of 10 ms.
FRAMES_PER_SECOND = 100
# Cepstral mean normalisation: the decoder subtracts a running mean of the cepstra that it updates
# only every few seconds, starting from the acoustic model's guess (40,3,-1) and, left alone, from
# the previous recording's voice. Each recording instead starts from the mean of its own first
# CMN_SECONDS of audio: the audio so far is decoded again once with that mean (a second of extra work).
CMN_SECONDS = 1.0
# Words of the decoder's output that are not words said: silence, noise, utterance marks.
_NOT_WORDS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]", "<unk>"})


@dataclass(frozen=True)
class TimedWord:
    """A word heard, with where it starts and ends in the audio (seconds)."""

    word: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    """What was heard in a recording, the text the grader sees, and figures about the audio."""

    text: str  # as heard
    normalised: str  # spoken forms written: "p ninety nine" → p99
    seconds: float  # audio length
    speaking_seconds: float  # voiced time (pauses inside speech included, silence around it not)
    decode_seconds: float
    words: tuple[TimedWord, ...] = field(default=())

    @property
    def real_time_factor(self) -> float:
        return round(self.decode_seconds / self.seconds, 3) if self.seconds else 0.0

    @property
    def words_per_minute(self) -> float:
        n = len(self.text.split())
        return round(n * 60.0 / self.speaking_seconds, 1) if self.speaking_seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `interviewer transcribe --json`."""
        return {
            "text": self.text,
            "normalised": self.normalised,
            "seconds": round(self.seconds, 2),
            "speaking_seconds": self.speaking_seconds,
            "words_per_minute": self.words_per_minute,
            "decode_seconds": round(self.decode_seconds, 3),
            "real_time_factor": self.real_time_factor,
            "words": [asdict(w) for w in self.words],
        }


class Recognizer:
    """A loaded decoder: feed it 16 kHz mono 16-bit PCM, get partial and final text."""

    def __init__(self, model: SpeechModel, clock: Callable[[], float] = time.perf_counter,
                 cmn_seconds: float = CMN_SECONDS, **options: Any):
        from pocketsphinx import Decoder

        model.check()
        self.model = model
        self.normalise = Normaliser(model.forms())
        self.clock = clock
        self.cmn_seconds = cmn_seconds
        settings = DECODER_DEFAULTS | options
        self._decoder = Decoder(hmm=str(model.acoustic), lm=str(model.lm), dict=str(model.dictionary), **settings)
        self._cmninit = self._decoder.get_cmn()
        self._pcm: list[bytes] = []
        self._bytes = 0
        self._cmn_set = False
        self._busy = 0.0
        self._started = False

    # ------------------------------------------------------------------ streaming

    def start(self) -> None:
        """Begin a recording (from the model's cepstral mean, whoever spoke before)."""
        self._decoder.set_cmn(self._cmninit)
        self._decoder.start_utt()
        self._pcm, self._bytes, self._busy, self._started = [], 0, 0.0, True
        self._cmn_set = self.cmn_seconds <= 0

    def feed(self, pcm: bytes) -> str:
        """Decode another piece of the recording; return the text heard so far."""
        if not self._started:
            self.start()
        t = self.clock()
        self._pcm.append(pcm)
        self._bytes += len(pcm)
        if not self._cmn_set and self._bytes >= self.cmn_seconds * BYTES_PER_SECOND:
            self._restart_with_own_mean()
        else:
            self._decoder.process_raw(pcm, False, False)
        self._busy += self.clock() - t
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def _restart_with_own_mean(self) -> None:
        """Measure the cepstral mean of the audio so far, then decode it again from that mean."""
        so_far = b"".join(self._pcm)
        self._decoder.end_utt()
        self._decoder.start_utt()
        self._decoder.process_raw(so_far, True, True)  # features only: the mean of these frames
        self._decoder.end_utt()
        self._decoder.set_cmn(self._decoder.get_cmn())
        self._decoder.start_utt()
        # In pieces: the decoder takes at most a few seconds of audio per call.
        for i in range(0, len(so_far), BYTES_PER_SECOND):
            self._decoder.process_raw(so_far[i : i + BYTES_PER_SECOND], False, False)
        self._cmn_set = True

    def finish(self) -> Transcript:
        """End the recording; return its transcript."""
        if not self._started:
            self.start()
        t = self.clock()
        if not self._cmn_set and self._bytes:
            self._restart_with_own_mean()  # a recording shorter than CMN_SECONDS
        self._started = False
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        text = hyp.hypstr if hyp is not None else ""
        words = tuple(self._words()) if text else ()
        self._busy += self.clock() - t
        pcm = b"".join(self._pcm)
        self._pcm, self._bytes = [], 0
        return Transcript(text=text, normalised=self.normalise(text).text, seconds=seconds_of(pcm),
                          speaking_seconds=speaking_seconds(pcm), decode_seconds=self._busy, words=words)

    def cancel(self) -> None:
        """Drop the recording in progress, if any."""
        if self._started:
            self._started = False
            self._pcm, self._bytes = [], 0
            try:
                self._decoder.end_utt()
            except RuntimeError:
                pass  # the utterance had already ended in the decoder

    def _words(self) -> Iterable[TimedWord]:
        for seg in self._decoder.seg() or ():
            word = seg.word
            paren = word.find("(")
            if paren > 0:
                word = word[:paren]  # a pronunciation variant: "etcd(2)"
            if word in _NOT_WORDS or word.startswith("["):
                continue
            yield TimedWord(word, round(seg.start_frame / FRAMES_PER_SECOND, 2),
                            round((seg.end_frame + 1) / FRAMES_PER_SECOND, 2))

    # ------------------------------------------------------------------ whole recordings

    def transcribe(self, pcm: bytes, chunk_seconds: float = 1.0) -> Transcript:
        """Decode a whole recording (fed in chunks, as a stream would be)."""
        self.start()
        step = max(2, int(chunk_seconds * BYTES_PER_SECOND) // 2 * 2)
        for i in range(0, len(pcm), step):
            self.feed(pcm[i : i + step])
        return self.finish()
