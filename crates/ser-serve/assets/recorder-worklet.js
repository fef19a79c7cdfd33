// AudioWorklet processor of the ser web page: posts the microphone's first channel to the page
// in blocks of about 100 ms (Float32Array, at the AudioContext's rate).
'use strict';

class SerRecorder extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = Math.round(sampleRate / 10);
    this.buf = new Float32Array(this.block);
    this.n = 0;
    this.port.onmessage = (e) => {
      if (e.data === 'flush') {
        this.port.postMessage(this.buf.slice(0, this.n));
        this.n = 0;
        this.port.postMessage('flushed');
      }
    };
  }

  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) {
      let i = 0;
      while (i < ch.length) {
        const take = Math.min(ch.length - i, this.block - this.n);
        this.buf.set(ch.subarray(i, i + take), this.n);
        this.n += take;
        i += take;
        if (this.n === this.block) {
          this.port.postMessage(this.buf.slice());
          this.n = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor('ser-recorder', SerRecorder);
