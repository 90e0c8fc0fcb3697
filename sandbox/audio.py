"""Small valid audio files for synthetic recordings: a short tone as 8 kHz mono 16-bit PCM WAV."""

from __future__ import annotations

import io
import math
import struct
import wave

SAMPLE_RATE = 8000
"""Telephony's narrow-band rate."""


def tone_wav(frequency: float = 440.0, seconds: float = 0.25, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A WAV file holding a sine tone; different frequencies make recordings tell apart by content."""
    frames = int(seconds * sample_rate)
    samples = (int(12000 * math.sin(2 * math.pi * frequency * i / sample_rate)) for i in range(frames))
    pcm = struct.pack(f"<{frames}h", *samples)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()
