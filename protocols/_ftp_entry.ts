/**
 * The entry type every FTP listing parser produces, shared by the MLSD, Unix
 * and DOS parsers and re-exported by `ftp_list.ts`.
 *
 * @module
 */

/**
 * What kind of directory entry a listing line describes.
 *
 * `"other"` covers devices, pipes, sockets, doors and MLSD types this module
 * does not know; a mirror skips them.
 */
export type FtpEntryType = "file" | "dir" | "link" | "other";

/** How precise {@linkcode FtpEntry.modified} is. */
export type FtpTimePrecision = "second" | "minute" | "day";

/**
 * One entry of a directory listing (MLSD, MLST or LIST).
 *
 * Only the fields the server actually sent are present: a missing field is
 * absent, never `undefined`.
 */
export interface FtpEntry {
  /**
   * The entry name exactly as listed, spaces included. It is not checked for
   * safety: see `isSafeEntryName()` before using it as a local path.
   */
  name: string;
  /** The entry kind. */
  type: FtpEntryType;
  /** The size in bytes (MLSD `size`, or `sizd` for a directory). */
  size?: number;
  /**
   * The modification time. MLSD times are UTC; LIST times carry no zone and
   * are read as UTC.
   */
  modified?: Date;
  /** How precise `modified` is: LIST often omits seconds or the time. */
  modifiedPrecision?: FtpTimePrecision;
  /**
   * The permissions as the server wrote them: the Unix mode string such as
   * `"drwxr-xr-x+"`, or the MLSD `perm` fact such as `"adfrw"`.
   */
  permissions?: string;
  /** The owner name or numeric id. */
  owner?: string;
  /** The group name or numeric id. */
  group?: string;
  /** The target of a symbolic link, when the server named it. */
  target?: string;
  /** The MLSD `unique` fact, identifying the file on the server. */
  unique?: string;
  /**
   * Every MLSD fact with its key lowercased and its value as sent (empty for
   * LIST entries). `facts.type` tells `cdir` and `pdir` apart from `dir`.
   */
  facts: Record<string, string>;
  /** The listing line the entry was parsed from, without its line ending. */
  raw: string;
}
