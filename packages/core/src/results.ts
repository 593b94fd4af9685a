/**
 * The ZIP of a job that wrote no files: only the end-of-central-directory record (22 bytes,
 * no entries). Such a result is not written to disk; the API serves these bytes instead.
 */
export const EMPTY_ZIP: Buffer = Buffer.from([
  0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);
