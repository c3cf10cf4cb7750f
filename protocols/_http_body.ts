/**
 * HTTP/1.1 body framing for the client: reading Content-Length, chunked and
 * close-delimited bodies straight from the connection's buffered reader, and
 * writing chunked request bodies.
 *
 * @module
 */

import type { BufferedReader } from "./buffered_reader.ts";
import { ConnectionClosedError } from "./errors.ts";
import { HttpProtocolError } from "./_http_message.ts";
import type { Framing } from "./_http_message.ts";

const CHUNK = 256 * 1024;
const HEX_REGEXP = /^[0-9a-fA-F]{1,15}$/;
const encoder = new TextEncoder();

/** Reads one body; `next()` gives the next piece, `null` at its end. */
export class BodyReader {
  #reader: BufferedReader;
  #framing: Framing;
  #remaining: number;
  #chunkLeft = 0;
  #done: boolean;
  #scratch = new Uint8Array(CHUNK);

  /**
   * Starts reading a body.
   *
   * @param reader The connection's reader.
   * @param framing How the body is delimited.
   */
  constructor(reader: BufferedReader, framing: Framing) {
    this.#reader = reader;
    this.#framing = framing;
    this.#remaining = framing.kind === "length" ? framing.length : 0;
    this.#done = framing.kind === "none";
  }

  /** True once the whole body has been read. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Reads the next piece of the body.
   *
   * @returns The bytes, or `null` at the end.
   * @throws {ConnectionClosedError} When the connection ends before the body.
   * @throws {HttpProtocolError} For bad chunk framing.
   */
  async next(): Promise<Uint8Array | null> {
    if (this.#done) return null;
    switch (this.#framing.kind) {
      case "length":
        return await this.#counted();
      case "chunked":
        return await this.#chunked();
      default:
        return await this.#untilClose();
    }
  }

  async #counted(): Promise<Uint8Array | null> {
    const buf = this.#scratch.subarray(0, Math.min(CHUNK, this.#remaining));
    const n = await this.#reader.read(buf);
    if (n === null) {
      throw new ConnectionClosedError(
        `Connection closed with ${this.#remaining} bytes of the body missing`,
      );
    }
    this.#remaining -= n;
    if (this.#remaining === 0) this.#done = true;
    return buf.slice(0, n);
  }

  async #untilClose(): Promise<Uint8Array | null> {
    const n = await this.#reader.read(this.#scratch);
    if (n === null) {
      this.#done = true;
      return null;
    }
    return this.#scratch.slice(0, n);
  }

  async #chunked(): Promise<Uint8Array | null> {
    if (this.#chunkLeft === 0) {
      const line = await this.#reader.readLine(4096);
      if (line === null) {
        throw new ConnectionClosedError(
          "Connection closed inside a chunked body",
        );
      }
      const size = line.split(";", 1)[0]!.trim();
      if (!HEX_REGEXP.test(size)) {
        throw new HttpProtocolError(
          `Invalid chunk size line: ${JSON.stringify(line.slice(0, 40))}`,
        );
      }
      this.#chunkLeft = parseInt(size, 16);
      if (this.#chunkLeft === 0) {
        // Trailers are tolerated and dropped, with a cap.
        for (let count = 0;; count++) {
          const trailer = await this.#reader.readLine(8192);
          if (trailer === null) {
            throw new ConnectionClosedError("Connection closed in trailers");
          }
          if (trailer === "") break;
          if (count > 100) {
            throw new HttpProtocolError("Too many trailer lines");
          }
        }
        this.#done = true;
        return null;
      }
    }
    const buf = this.#scratch.subarray(0, Math.min(CHUNK, this.#chunkLeft));
    const n = await this.#reader.read(buf);
    if (n === null) {
      throw new ConnectionClosedError("Connection closed inside a chunk");
    }
    this.#chunkLeft -= n;
    if (this.#chunkLeft === 0) {
      const end = await this.#reader.readLine(2);
      if (end !== "") {
        throw new HttpProtocolError("Chunk data not followed by CRLF");
      }
    }
    return buf.slice(0, n);
  }
}

/**
 * Encodes one chunk of a chunked request body.
 *
 * @param data The chunk's bytes (non-empty).
 * @returns Size line, data and CRLF in one array.
 */
export function encodeChunk(data: Uint8Array): Uint8Array {
  const head = encoder.encode(`${data.length.toString(16)}\r\n`);
  const out = new Uint8Array(head.length + data.length + 2);
  out.set(head);
  out.set(data, head.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

/** The last chunk of a chunked body, with no trailers. */
export const LAST_CHUNK: Uint8Array = encoder.encode("0\r\n\r\n");
