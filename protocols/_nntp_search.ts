/**
 * The engine behind `NntpClient.overWhere()`: one header field of a range
 * read with HDR in chunks, each value tested, and the overview entries of
 * the hits read with OVER, all on one pipeline (RFC 3977 §3.5) so that the
 * server is never left waiting for the client:
 *
 * - the next HDR chunk is sent as soon as the status line of the current one
 *   arrives, together with the OVER commands of the hits found so far (in
 *   the last chunk, the hits of each batch of lines as soon as it is read);
 * - after the last chunk, the remaining OVER commands go out with QUIT when
 *   the search is the connection's last use. Servers such as INN do not set
 *   TCP_NODELAY, so the tail of a last small reply waits for our delayed ACK
 *   (about 40 ms on Linux); a server that is closing sends it at once.
 *
 * Replies are read in the order the commands were sent; a reply that asks for
 * a login (480) or does not know the verb (500, then XHDR or XOVER) makes the
 * engine read the replies still in flight, fix the cause and send those
 * commands again, so the connection never gets out of step.
 *
 * @module
 */

import type { DotBlock } from "./dot_block.ts";
import type { TextProtoConn } from "./text_proto.ts";
import type { Reply } from "./reply.ts";
import { NntpReplyError } from "./_nntp_errors.ts";
import { formatTarget, type NntpRange } from "./_nntp_args.ts";
import { parseHeaderLine } from "./_nntp_parse.ts";
import {
  type OverviewEntry,
  type OverviewFormat,
  parseOverviewLine,
} from "./nntp_overview.ts";

/** Hits less than this far apart share one OVER. */
const MAX_GAP = 8;

/** What the engine needs from the client: its connection and a few steps. */
export interface SearchHost {
  /** The connection. */
  readonly conn: TextProtoConn;
  /** The HDR verb known to work, if any. */
  hdrVerb: "HDR" | "XHDR" | undefined;
  /** The overview verb known to work, if any. */
  overVerb: "OVER" | "XOVER" | undefined;
  /** The HDR verb to try first (from CAPABILITIES). */
  readonly firstHdrVerb: "HDR" | "XHDR";
  /** The overview verb to try first (from CAPABILITIES). */
  readonly firstOverVerb: "OVER" | "XOVER";
  /** The overview format; defined once `formatAhead` has returned. */
  readonly format: OverviewFormat | undefined;
  /**
   * Makes the overview format known, sending LIST OVERVIEW.FMT in one write
   * with `next`; `"in-flight"` when `next` was sent and its replies are due.
   */
  formatAhead(next: string[][]): Promise<"in-flight" | "not-sent">;
  /** Writes commands without waiting for their replies. */
  writeCommands(commands: string[][]): Promise<void>;
  /** Reads and discards the replies of `count` pipelined commands. */
  discardReplies(count: number): Promise<void>;
  /** Whether a 480 can be answered by logging in now. */
  canLogIn(): boolean;
  /** Logs in with the configured credentials. */
  logIn(): Promise<void>;
  /** Leaves the connection so that the next command first drains `block` and `count` replies. */
  discardLater(block: DotBlock | undefined, count: number): void;
}

/** Options of a search. */
export interface SearchOptions {
  /** Articles per HDR command. */
  chunkSize: number;
  /** Called after each batch of values with how many were tested so far. */
  onProgress?: ((tested: number) => void) | undefined;
  /** Send QUIT behind the last command and close the connection at the end. */
  quit?: boolean | undefined;
}

/** A command sent whose reply is still to be read. */
type InFlight =
  | { kind: "hdr"; arg: string }
  | { kind: "over"; arg: string }
  | { kind: "quit" };

/**
 * Groups ascending article numbers into OVER arguments: single numbers, and
 * ranges for runs less than {@linkcode MAX_GAP} apart.
 *
 * @param numbers Ascending article numbers.
 * @returns The arguments, in order.
 *
 * @example Usage
 * ```ts
 * import { overArguments } from "./_nntp_search.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(overArguments([3, 5, 100, 300, 302]), ["3-5", "100", "300-302"]);
 * ```
 */
export function overArguments(numbers: readonly number[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    const start = numbers[i]!;
    let end = start;
    while (
      i + 1 < numbers.length && numbers[i + 1]! > end &&
      numbers[i + 1]! - end <= MAX_GAP
    ) {
      end = numbers[++i]!;
    }
    out.push(formatTarget(end === start ? start : { start, end }));
    i++;
  }
  return out;
}

/**
 * Splits a closed range into HDR arguments of at most `size` articles.
 *
 * @param range The range (`end` required).
 * @param size Articles per chunk.
 * @returns The arguments, produced as the search asks for them.
 *
 * @example Usage
 * ```ts
 * import { rangeChunks } from "./_nntp_search.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals([...rangeChunks({ start: 1, end: 25 }, 10)], ["1-10", "11-20", "21-25"]);
 * ```
 */
export function* rangeChunks(
  range: Required<NntpRange>,
  size: number,
): Generator<string> {
  for (let lo = range.start; lo <= range.end; lo += size) {
    yield formatTarget({ start: lo, end: Math.min(range.end, lo + size - 1) });
  }
}

/**
 * Runs a search (see the module doc) and yields the overview entries of the
 * articles whose `field` passes `test`, in article order.
 *
 * @param host The client's connection and steps.
 * @param field The header field, checked by the caller.
 * @param test Tells whether a raw value is a hit.
 * @param chunks HDR arguments, in ascending order.
 * @param options Progress callback and QUIT at the end.
 * @returns The entries.
 * @throws {NntpReplyError} When the server refuses HDR and XHDR (500), or
 * answers another unexpected code.
 */
export async function* searchOverview(
  host: SearchHost,
  field: string,
  test: (value: string) => boolean,
  chunks: Iterator<string>,
  options: SearchOptions,
): AsyncGenerator<OverviewEntry, void, undefined> {
  const conn = host.conn;
  const queue: InFlight[] = [];
  const hits: number[] = [];
  const wanted = new Set<number>();
  let hdrVerb = host.hdrVerb ?? host.firstHdrVerb;
  let overVerb = host.overVerb ?? host.firstOverVerb;
  let hdrAhead = 0;
  let chunksLeft = true;
  let quitSent = false;
  let tested = 0;
  let block: DotBlock | undefined;

  const command = (item: InFlight): string[] =>
    item.kind === "hdr"
      ? [hdrVerb, field, item.arg]
      : item.kind === "over"
      ? [overVerb, item.arg]
      : ["QUIT"];
  const nextChunk = (): InFlight[] => {
    if (!chunksLeft) return [];
    const step = chunks.next();
    if (step.done) {
      chunksLeft = false;
      return [];
    }
    return [{ kind: "hdr", arg: step.value }];
  };
  const pendingOvers = (): InFlight[] => {
    for (const n of hits) wanted.add(n);
    const args = overArguments(hits);
    hits.length = 0;
    return args.map((arg) => ({ kind: "over", arg }));
  };
  const send = async (items: InFlight[], written = false): Promise<void> => {
    if (items.length === 0) return;
    // Queued once written: a failed write leaves no reply to wait for.
    if (!written) await host.writeCommands(items.map(command));
    for (const item of items) {
      queue.push(item);
      if (item.kind === "hdr") hdrAhead++;
      if (item.kind === "quit") quitSent = true;
    }
  };
  /**
   * After the last chunk: the rest of the OVERs, and QUIT if asked, once
   * the overview verb is known to work (a 500 to OVER must still be
   * answerable with XOVER on this connection).
   */
  const finish = async (): Promise<void> => {
    const items = pendingOvers();
    const overPending = items.length > 0 ||
      queue.some((item) => item.kind === "over");
    const quitNow = options.quit && !quitSent &&
      (host.overVerb !== undefined || !overPending);
    if (quitNow) items.push({ kind: "quit" });
    await send(items);
  };
  /**
   * A reply that needs the commands in flight sent again: read their
   * replies, fix the cause, resend. Throws when nothing can be fixed.
   */
  const recover = async (failed: InFlight, reply: Reply): Promise<void> => {
    const fixable = !quitSent && (
      (reply.code === 480 && host.canLogIn()) ||
      (reply.code === 500 && failed.kind === "hdr" && hdrVerb === "HDR") ||
      (reply.code === 500 && failed.kind === "over" && overVerb === "OVER")
    );
    if (!fixable) {
      throw new NntpReplyError(
        reply,
        failed.kind === "hdr"
          ? `Cannot read header "${field}" of articles ${failed.arg}`
          : failed.kind === "over"
          ? `Cannot read overview of articles ${failed.arg}`
          : "QUIT",
      );
    }
    const rest = queue.splice(0);
    await host.discardReplies(rest.length);
    hdrAhead = 0;
    if (reply.code === 480) await host.logIn();
    else if (failed.kind === "hdr") hdrVerb = "XHDR";
    else overVerb = "XOVER";
    await send([failed, ...rest]);
  };

  try {
    const first = nextChunk();
    if (host.format === undefined) {
      const ahead = await host.formatAhead(first.map(command));
      await send(first, ahead === "in-flight");
    } else {
      await send(first);
    }
    if (!chunksLeft) await finish();
    while (queue.length > 0) {
      const item = queue.shift()!;
      if (item.kind === "hdr") hdrAhead--;
      const reply = await conn.readCodeLine();
      if (item.kind === "quit") {
        conn.close();
        return;
      }
      if (item.kind === "over") {
        if (reply.code === 224) {
          const confirmed = host.overVerb === undefined;
          host.overVerb = overVerb;
          if (confirmed && !chunksLeft && hdrAhead === 0) await finish();
          block = await conn.openDotBlock();
          const format = host.format!;
          for (let lines; (lines = await block.lines()) !== null;) {
            for (const line of lines) {
              const entry = parseOverviewLine(line, format);
              if (entry !== null && wanted.delete(entry.number)) yield entry;
            }
          }
        } else if (reply.code !== 423 && reply.code !== 420) {
          await recover(item, reply);
        }
        continue;
      }
      if (reply.code !== 225 && reply.code !== 221 && reply.code !== 423) {
        await recover(item, reply);
        continue;
      }
      // Keep the server busy: the next chunk and the hits so far go out
      // before this chunk is read. In the last chunk nothing big follows, so
      // the hits of each batch go out as soon as they are known: that also
      // acknowledges what has arrived, and the server never waits for our
      // delayed ACK before its last writes.
      await send([...pendingOvers(), ...(hdrAhead === 0 ? nextChunk() : [])]);
      const last = !chunksLeft && hdrAhead === 0;
      if (reply.code !== 423) {
        host.hdrVerb = hdrVerb;
        block = await conn.openDotBlock();
        for (let lines; (lines = await block.lines()) !== null;) {
          for (const line of lines) {
            const value = parseHeaderLine(line);
            if (value === null) continue;
            tested++;
            if (test(value.value)) hits.push(value.number);
          }
          options.onProgress?.(tested);
          if (last && hits.length > 0 && !block.done) {
            await send(pendingOvers());
          }
        }
      }
      if (!chunksLeft && hdrAhead === 0) await finish();
    }
  } finally {
    if (queue.length > 0) {
      if (quitSent) conn.close();
      else host.discardLater(block, queue.length);
    }
  }
}
