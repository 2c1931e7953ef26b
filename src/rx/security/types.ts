// The contract between the Rx transport and a security class (rxnull, rxkad).
// The transport owns packets and connections; a class only transforms payloads, fills the
// header's 16-bit checksum field and answers CHALLENGEs. One ConnSecurity per Rx connection.

/** Header fields a security class may read (and that rxkad folds into its checksums). */
export interface SecuredHeader {
  epoch: number;
  cid: number; // connection id | channel (low 2 bits)
  callNumber: number;
  seq: number;
  serial: number;
  flags: number;
  securityIndex: number;
  serviceId: number;
}

/** What the class learns about the connection it secures. */
export interface ConnIdentity {
  epoch: number;
  cid: number; // connection id with channel bits clear
  securityIndex: number;
  /** Current call number of each of the four channels (rxkad's RESPONSE carries them). */
  callNumbers(): readonly [number, number, number, number];
}

export interface ConnSecurity {
  /** Bytes the class prepends to / appends to each DATA payload (rxkad: auth 4+4? crypt 8+8; null 0). */
  readonly headerSize: number;
  readonly trailerSize: number;
  /** Whether a RESPONSE has been accepted by the peer (client side: true once we answered a CHALLENGE). */
  readonly ready: boolean;
  /** Seal one outgoing DATA payload. Returns the wire payload and the header checksum (0 = none). */
  seal(h: SecuredHeader, payload: Buffer): { payload: Buffer; cksum: number };
  /** Check and open one incoming DATA payload; throws a typed error (e.g. RXKADSEALEDINCON) when bad. */
  open(h: SecuredHeader, cksum: number, payload: Buffer): Buffer;
  /** Client side: build the RESPONSE body for a CHALLENGE body; throws a typed error when it cannot. */
  respond(challenge: Buffer): Buffer;
}

export interface SecurityClass {
  /** 0 rxnull, 2 rxkad. */
  readonly index: number;
  /** A short human name for logs and rxdebug-like output, e.g. "rxnull", "rxkad-crypt". */
  readonly name: string;
  newConnection(id: ConnIdentity): ConnSecurity;
}
