/**
 * inetkit: Internet protocols for Deno over raw sockets.
 *
 * - A shared line-protocol core ({@linkcode TextProtoConn}) with pull-only
 *   buffered reads, numeric replies, dot-terminated blocks, command-injection
 *   checks, timeouts, abort signals and in-place TLS upgrades.
 * - FTP listing parsers for MLSD, Unix `ls -l` and DOS/IIS formats.
 * - An HTTP/1.1 client ({@linkcode HttpClient}) and server
 *   ({@linkcode serveHttp}) that keep every header line and reason phrase
 *   as sent.
 *
 * @example Usage
 * ```ts ignore
 * import { dial, TextProtoConn } from "./mod.ts";
 *
 * const conn = new TextProtoConn(await dial({ hostname: "127.0.0.1", port: 119 }));
 * console.log((await conn.readCodeLine(2)).text);
 * conn.close();
 * ```
 *
 * @module
 */

export {
  CommandInjectionError,
  ConnectError,
  ConnectionClosedError,
  isPeerGone,
  LineTooLongError,
  ProtocolError,
  ReplyError,
  type ReplyLike,
  TimeoutError,
} from "./protocols/errors.ts";
export {
  BufferedReader,
  type BufferedReaderOptions,
  type ByteSource,
} from "./protocols/buffered_reader.ts";
export {
  codeMatches,
  type ExpectedCode,
  parseReplyLine,
  type Reply,
  type ReplyLine,
} from "./protocols/reply.ts";
export { dotStuff, DotStuffer } from "./protocols/dot_stuffing.ts";
export { decodeLineBytes, DotBlock } from "./protocols/dot_block.ts";
export {
  checkCommandArgument,
  type DebugDirection,
  type DebugSink,
  type DotBodyOptions,
  type OpenBody,
  TextProtoConn,
  type TextProtoOptions,
  type WriteCommandOptions,
} from "./protocols/text_proto.ts";
export { dial, type DialOptions } from "./protocols/dial.ts";
export { type ByteSink, writeAll } from "./protocols/write_all.ts";
export {
  DEFAULT_MAX_LISTING_ENTRIES,
  formatFtpTime,
  type FtpEntry,
  type FtpEntryType,
  type FtpTimePrecision,
  isSafeEntryName,
  type ListingResult,
  parseFtpTime,
  parseListing,
  type ParseListingOptions,
  parseMlsdLine,
  parseMlstReply,
} from "./protocols/ftp_list.ts";
export {
  type DirectoryEntry,
  type PluginFetchInit,
  type ProtocolPlugin,
  ProtocolRegistry,
  SchemeConflictError,
} from "./plugins/registry.ts";
export {
  FTP_CODE,
  FtpAuthError,
  FtpClient,
  type FtpClientOptions,
  type FtpCode,
  type FtpDownloadOptions,
  type FtpListing,
  FtpNotFoundError,
  type FtpProgress,
  FtpReplyError,
  FtpSessionReuseError,
  type FtpUploadOptions,
  type FtpUrlParts,
  type FtpWriter,
  parseFtpUrl,
} from "./protocols/ftp.ts";
export {
  ArticleHeaders,
  checkMessageId,
  type NntpActiveGroup,
  type NntpArticle,
  type NntpArticleBody,
  type NntpArticleHead,
  type NntpArticlePointer,
  type NntpArticleTarget,
  type NntpBodyOptions,
  type NntpCapabilities,
  NntpClient,
  type NntpClientOptions,
  type NntpErrorKind,
  type NntpGroup,
  type NntpGroupDescription,
  type NntpHeaderField,
  type NntpHeaderValue,
  type NntpPipelineOptions,
  type NntpPostArticle,
  type NntpPostResult,
  type NntpRange,
  NntpReplyError,
  type NntpScanOptions,
  type NntpScanTarget,
  type OverviewEntry,
  type OverviewField,
  type OverviewFormat,
} from "./protocols/nntp.ts";
export {
  DEFAULT_OVERVIEW_FORMAT,
  parseOverviewFormat,
  parseOverviewLine,
} from "./protocols/nntp_overview.ts";
export { decodeHeader, unfoldHeader } from "./protocols/mime_header.ts";
export {
  baseSubject,
  threadArticles,
  type ThreadInput,
  type ThreadNode,
  type ThreadOptions,
} from "./protocols/news_thread.ts";
export {
  type NewsArticleUrl,
  type NewsGroupUrl,
  newsUrl,
  type NewsUrlRange,
  type ParsedNewsUrl,
  parseNewsUrl,
} from "./protocols/news_url.ts";
export { escapeHtml } from "./protocols/html_escape.ts";
export {
  type HttpBody,
  HttpClient,
  type HttpClientOptions,
  HttpProtocolError,
  type HttpRequestInit,
  type HttpResponse,
  request,
} from "./protocols/http.ts";
export { reasonPhrase } from "./protocols/http_status.ts";
export {
  type BodySource,
  HttpRequestError,
  type HttpServer,
  type HttpServerOptions,
  serveHttp,
  type ServerBody,
  type ServerHandler,
  type ServerLogEntry,
  ServerRequest,
  type ServerResponse,
} from "./protocols/http_server.ts";
