// Counts Rx DATA datagrams and their sizes as they arrive (the datagram size the plain-UDP
// reference then uses).

/** Byte 20 of the Rx header is the packet type; DATA is 1. */
const RX_TYPE_OFFSET = 20;
const RX_DATA = 1;

export interface TallyCounts {
  dataDatagrams: number;
  dataBytes: number;
  maxDatagram: number;
}

export class DatagramTally {
  private c: TallyCounts = { dataDatagrams: 0, dataBytes: 0, maxDatagram: 0 };

  add(buf: Buffer): void {
    if (buf.length > RX_TYPE_OFFSET && buf[RX_TYPE_OFFSET] === RX_DATA) {
      this.c.dataDatagrams++;
      this.c.dataBytes += buf.length;
      if (buf.length > this.c.maxDatagram) this.c.maxDatagram = buf.length;
    }
  }

  /** The counts since the last take. */
  take(): TallyCounts {
    const c = this.c;
    this.c = { dataDatagrams: 0, dataBytes: 0, maxDatagram: 0 };
    return c;
  }
}
