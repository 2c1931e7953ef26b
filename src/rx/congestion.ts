// Congestion window of one call's send side: slow start, then congestion avoidance; halved on a
// fast retransmit and collapsed to one packet on a retransmit timeout (as TCP and Rx do).

export class Congestion {
  cwnd: number;
  ssthresh = 255;

  constructor(initial: number) {
    this.cwnd = Math.max(1, initial);
  }

  onAcked(n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.cwnd < this.ssthresh) this.cwnd += 1;
      else this.cwnd += 1 / this.cwnd;
    }
    if (this.cwnd > 255) this.cwnd = 255;
  }

  onFastRetransmit(): void {
    this.ssthresh = Math.max(Math.floor(this.cwnd / 2), 2);
    this.cwnd = this.ssthresh;
  }

  onTimeout(): void {
    this.ssthresh = Math.max(Math.floor(this.cwnd / 2), 2);
    this.cwnd = 1;
  }
}
