/**
 * Named FTP reply codes (RFC 959 §4.2.2, RFC 2228, RFC 2428, RFC 3659,
 * RFC 4217) as a constant table, in the manner of `STATUS_CODE`.
 *
 * @module
 */

/**
 * FTP reply codes by name.
 *
 * @example Usage
 * ```ts
 * import { FTP_CODE } from "./_ftp_codes.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(FTP_CODE.FILE_UNAVAILABLE, 550);
 * ```
 */
export const FTP_CODE = {
  /** 110: restart marker reply. */
  RESTART_MARKER: 110,
  /** 120: service ready in a few minutes. */
  SERVICE_READY_SOON: 120,
  /** 125: data connection already open; transfer starting. */
  DATA_ALREADY_OPEN: 125,
  /** 150: file status okay; about to open the data connection. */
  FILE_STATUS_OK: 150,
  /** 200: command okay. */
  OK: 200,
  /** 202: command not implemented, superfluous at this site. */
  SUPERFLUOUS: 202,
  /** 211: system status, or the FEAT reply. */
  SYSTEM_STATUS: 211,
  /** 213: file status (SIZE, MDTM, MFMT). */
  FILE_STATUS: 213,
  /** 215: system type (SYST). */
  SYSTEM_TYPE: 215,
  /** 220: service ready for a new user. */
  SERVICE_READY: 220,
  /** 221: service closing the control connection. */
  CLOSING: 221,
  /** 226: closing the data connection; transfer complete. */
  TRANSFER_COMPLETE: 226,
  /** 227: entering passive mode (PASV). */
  PASSIVE_MODE: 227,
  /** 229: entering extended passive mode (EPSV). */
  EXTENDED_PASSIVE_MODE: 229,
  /** 230: user logged in. */
  LOGGED_IN: 230,
  /** 234: security exchange (AUTH TLS) accepted. */
  AUTH_OK: 234,
  /** 250: requested file action okay, completed. */
  FILE_ACTION_OK: 250,
  /** 257: path name created, or the current directory (PWD). */
  PATH_CREATED: 257,
  /** 331: user name okay, need a password. */
  NEED_PASSWORD: 331,
  /** 332: need an account for login. */
  NEED_ACCOUNT: 332,
  /** 350: requested file action pending further information (REST, RNFR). */
  PENDING: 350,
  /** 421: service not available, closing the control connection. */
  SERVICE_UNAVAILABLE: 421,
  /** 425: cannot open the data connection. */
  CANNOT_OPEN_DATA: 425,
  /** 426: connection closed; transfer aborted. */
  TRANSFER_ABORTED: 426,
  /** 450: file unavailable for now (busy). */
  FILE_BUSY: 450,
  /** 451: local error in processing. */
  LOCAL_ERROR: 451,
  /** 452: insufficient storage space. */
  INSUFFICIENT_STORAGE: 452,
  /** 500: syntax error, command unrecognized. */
  SYNTAX_ERROR: 500,
  /** 501: syntax error in parameters or arguments. */
  ARGUMENT_ERROR: 501,
  /** 502: command not implemented. */
  NOT_IMPLEMENTED: 502,
  /** 503: bad sequence of commands. */
  BAD_SEQUENCE: 503,
  /** 504: command not implemented for that parameter. */
  PARAMETER_NOT_IMPLEMENTED: 504,
  /** 522: network protocol not supported (EPSV), or a TLS failure (vsftpd). */
  PROTOCOL_NOT_SUPPORTED: 522,
  /** 530: not logged in. */
  NOT_LOGGED_IN: 530,
  /** 532: need an account for storing files. */
  NEED_ACCOUNT_TO_STORE: 532,
  /** 534: request denied for policy reasons (TLS required or refused). */
  POLICY_DENIED: 534,
  /** 550: file unavailable (not found, no access). */
  FILE_UNAVAILABLE: 550,
  /** 552: exceeded storage allocation. */
  STORAGE_EXCEEDED: 552,
  /** 553: file name not allowed. */
  NAME_NOT_ALLOWED: 553,
} as const;

/** A reply code named in {@linkcode FTP_CODE}. */
export type FtpCode = typeof FTP_CODE[keyof typeof FTP_CODE];
