"""Offline dictation: pocketsphinx with a language model and pronunciations built from the corpus.

Build time (`build-index`): `build_speech_model` writes data/speech/ (domain.arpa, domain.dict,
forms.json). Run time: `Recognizer` decodes PCM in the process that calls it (the CLI);
`DecoderPool` keeps loaded recognizers in worker processes (the server); `Normaliser` writes
spoken forms ("p ninety nine" → p99) before an answer is graded.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from interviewer.config import Settings
from interviewer.records import Scorecard
from interviewer.speech.audio import AudioError, Limits, decode_wav, read_wav
from interviewer.speech.forms import Normaliser
from interviewer.speech.model import SpeechModel, build_speech_model
from interviewer.speech.recognizer import Recognizer, Transcript

__all__ = ["AudioError", "Limits", "Normaliser", "Recognizer", "SpeechModel", "Transcript", "build_speech_model",
           "decode_wav", "read_wav", "speech_model", "transcribe_file", "with_audio_delivery"]


def speech_model(settings: Settings) -> SpeechModel:
    """Return the speech model of a data dir (built by `build-index`)."""
    return SpeechModel(settings.speech_dir).check()


def transcribe_file(settings: Settings, path: str | Path, limits: Limits = Limits()) -> Transcript:
    """Read a WAV file and transcribe it in this process."""
    pcm = read_wav(path, limits)
    return Recognizer(speech_model(settings)).transcribe(pcm)


def with_audio_delivery(card: Scorecard, transcript: Transcript) -> Scorecard:
    """Return a scorecard whose speaking time is measured from the audio, not estimated from words."""
    return replace(card, delivery=replace(card.delivery, speaking_seconds=transcript.speaking_seconds))
