/* AudioWorklet for Dictate: the microphone's audio as 16 kHz mono 16-bit PCM, posted to the page
   in chunks of about a quarter of a second. Channels are mixed down; another context rate is
   resampled by averaging the input samples that fall into each output sample (a box filter,
   enough against aliasing for speech). The page sends each chunk to the server, which recognises
   it offline. Written for this project. */
class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / 16000; // input samples per output sample
    this.chunk = new Int16Array(4000); // 0.25 s
    this.filled = 0;
    this.acc = 0; // sum of the input samples of the output sample being built
    this.count = 0; // how many input samples are in it
    this.due = this.step; // input samples still to go before it is complete
    this.port.onmessage = (e) => { if (e.data === "flush") this.flush(); };
  }

  flush() {
    if (this.filled) {
      const out = this.chunk.slice(0, this.filled);
      this.port.postMessage(out.buffer, [out.buffer]);
      this.filled = 0;
    }
    this.port.postMessage("flushed");
  }

  push(value) {
    const s = Math.max(-1, Math.min(1, value));
    this.chunk[this.filled++] = s < 0 ? s * 32768 : s * 32767;
    if (this.filled === this.chunk.length) {
      const out = this.chunk.slice();
      this.port.postMessage(out.buffer, [out.buffer]);
      this.filled = 0;
    }
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || !input.length) return true;
    const n = input[0].length;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let c = 0; c < input.length; c++) v += input[c][i];
      this.acc += v / input.length;
      this.count += 1;
      this.due -= 1;
      if (this.due <= 0) {
        this.push(this.acc / this.count);
        this.acc = 0;
        this.count = 0;
        this.due += this.step;
      }
    }
    return true;
  }
}

registerProcessor("pcm-capture", PcmCapture);
