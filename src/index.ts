// The public surface of tsafs.
export const VERSION = '0.1.0';
