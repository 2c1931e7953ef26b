// Receiver of the plain-UDP reference, in its own thread like the Rx peer. Data datagrams (first
// byte 0) are counted; every ACK_EVERY of them it acknowledges the running count so the sender's
// window moves. Short control datagrams: RESET starts a run, FIN asks for the totals.
import { createSocket } from 'node:dgram';
import { parentPort } from 'node:worker_threads';

export const UDP_DATA = 0;
export const UDP_RESET = 1;
export const UDP_FIN = 2;
export const UDP_ACK = 3;
export const UDP_TOTALS = 4;
export const ACK_EVERY = 8;
/** Same socket buffers as RxEndpoint asks for. */
export const UDP_BUFFER = 4 << 20;

if (parentPort) {
  const port = parentPort;
  const sock = createSocket({ type: 'udp4', recvBufferSize: UDP_BUFFER, sendBufferSize: UDP_BUFFER });
  let datagrams = 0;
  let bytes = 0;
  const ack = Buffer.alloc(8);
  sock.on('message', (msg, rinfo) => {
    const kind = msg[0];
    if (kind === UDP_DATA) {
      datagrams++;
      bytes += msg.length;
      if (datagrams % ACK_EVERY === 0) {
        ack[0] = UDP_ACK;
        ack.writeUInt32BE(datagrams, 4);
        sock.send(ack, rinfo.port, rinfo.address);
      }
    } else if (kind === UDP_RESET) {
      datagrams = 0;
      bytes = 0;
      sock.send(Buffer.from([UDP_RESET]), rinfo.port, rinfo.address);
    } else if (kind === UDP_FIN) {
      const t = Buffer.alloc(16);
      t[0] = UDP_TOTALS;
      t.writeUInt32BE(datagrams, 4);
      t.writeDoubleBE(bytes, 8);
      sock.send(t, rinfo.port, rinfo.address);
    }
  });
  sock.bind({ address: '127.0.0.1', port: 0 }, () => port.postMessage({ port: sock.address().port }));
  port.on('message', () => {
    sock.close();
    port.close();
  });
}
