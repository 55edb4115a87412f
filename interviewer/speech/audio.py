"""Audio in: WAV files and PCM chunks → 16 kHz mono 16-bit PCM, checked against the limits;
speaking time measured from the audio (the recognizer reports no pauses or fillers)."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from interviewer.errors import InputError

RATE = 16_000  # what the acoustic model was trained on
SAMPLE_BYTES = 2
BYTES_PER_SECOND = RATE * SAMPLE_BYTES
# Voice activity is decided on frames this long (WebRTC's VAD takes 10, 20 or 30 ms).
VAD_FRAME_SECONDS = 0.03


class AudioError(InputError):
    """A recording that cannot be used: not a WAV, empty, too long, an unsupported encoding."""


@dataclass(frozen=True)
class Limits:
    """How much audio one recording may hold."""

    max_seconds: float = 300.0  # five minutes: a long interview answer
    max_file_bytes: int = 64 * 1024 * 1024  # a WAV file read from disk (48 kHz stereo 24-bit: ~3 min)

    @property
    def max_pcm_bytes(self) -> int:
        return int(self.max_seconds * BYTES_PER_SECOND)


def read_wav(path: str | Path, limits: Limits = Limits()) -> bytes:
    """Read a WAV file as 16 kHz mono 16-bit PCM (other rates resampled, channels mixed down)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise AudioError(f"{path} is {size / 2**20:.1f} MB; recordings of at most "
                             f"{limits.max_file_bytes / 2**20:.0f} MB are accepted")
        data = path.read_bytes()
    except OSError as exc:
        raise AudioError(f"cannot read {path} ({exc.strerror or exc})") from exc
    return decode_wav(data, name=str(path), limits=limits)


def decode_wav(data: bytes, name: str = "the recording", limits: Limits = Limits()) -> bytes:
    """Decode WAV bytes to 16 kHz mono 16-bit PCM, or raise AudioError saying what is wrong."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            channels, width, rate, frames = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            if rate < 8000 or rate > 192_000:
                raise AudioError(f"{name} has a sample rate of {rate} Hz; 8,000 to 192,000 Hz is accepted")
            if channels > 8:
                raise AudioError(f"{name} has {channels} channels; mono or stereo is expected")
            seconds = frames / rate
            if seconds > limits.max_seconds:
                raise AudioError(f"{name} is {seconds:.0f} s long; recordings of at most "
                                 f"{limits.max_seconds:.0f} s are accepted")
            raw = w.readframes(frames)
    except wave.Error as exc:
        # The stdlib reads plain PCM only: float and compressed WAVs, and non-WAV files, end here.
        raise AudioError(f"{name} is not a PCM WAV file ({exc}); convert it, e.g. "
                         "`sox IN -r 16000 -c 1 -b 16 OUT.wav`") from exc
    except EOFError as exc:
        raise AudioError(f"{name} is not a WAV file (it is too short to be one)") from exc
    samples = _to_float(raw, width)
    if channels > 1:
        samples = samples[: len(samples) // channels * channels].reshape(-1, channels).mean(axis=1)
    if not len(samples):
        raise AudioError(f"{name} holds no audio")
    if rate != RATE:
        samples = resample(samples, rate, RATE)
    return to_pcm(samples)


def _to_float(raw: bytes, width: int) -> np.ndarray:
    """Return samples in -1..1 from little-endian PCM of 1 (unsigned), 2, 3 or 4 bytes."""
    if width == 1:
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0
    if width == 3:
        b = np.frombuffer(raw[: len(raw) // 3 * 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        return v.astype(np.float64) / float(1 << 23)
    if width == 4:
        return np.frombuffer(raw[: len(raw) // 4 * 4], dtype="<i4").astype(np.float64) / float(1 << 31)
    raise AudioError(f"{width * 8}-bit samples are not supported; 8, 16, 24 or 32-bit PCM is")


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Resample by the FFT: the spectrum cut (or padded) at the target's Nyquist frequency,
    which is also the low-pass filter that keeps a downsampled recording free of aliasing."""
    n = len(samples)
    m = max(1, int(round(n * target / rate)))
    spectrum = np.fft.rfft(samples)
    keep = m // 2 + 1
    if keep <= len(spectrum):
        spectrum = spectrum[:keep]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(keep - len(spectrum), dtype=spectrum.dtype)])
    return np.fft.irfft(spectrum, m) * (m / n)


def to_pcm(samples: np.ndarray) -> bytes:
    """Return float samples in -1..1 as 16-bit little-endian PCM (clipped)."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def seconds_of(pcm: bytes) -> float:
    """Return how long 16 kHz 16-bit mono PCM lasts."""
    return len(pcm) / BYTES_PER_SECOND


def speaking_seconds(pcm: bytes, aggressiveness: int = 2, hangover_frames: int = 8) -> float:
    """Return how much of the audio is speech, by WebRTC's voice activity detector (pocketsphinx's
    copy); a pause shorter than `hangover_frames` frames counts as speech, as a breath between
    words does."""
    from pocketsphinx import Vad

    vad = Vad(aggressiveness, RATE, VAD_FRAME_SECONDS)
    step = vad.frame_bytes
    voiced, since_speech = 0, hangover_frames + 1
    gap = 0
    for i in range(0, len(pcm) - step + 1, step):
        if vad.is_speech(pcm[i : i + step]):
            if since_speech <= hangover_frames:
                voiced += gap  # a short pause inside speech
            voiced += 1
            since_speech, gap = 0, 0
        else:
            since_speech += 1
            gap += 1
    return round(voiced * vad.frame_length, 2)


def write_wav(path: str | Path, pcm: bytes, rate: int = RATE) -> None:
    """Write 16-bit mono PCM as a WAV file."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(SAMPLE_BYTES)
        w.setframerate(rate)
        w.writeframes(pcm)
