/**
 * Threading of news articles by References, following Jamie Zawinski's
 * algorithm (https://www.jwz.org/doc/threading.html): containers for every
 * message-id seen, links from References that never create a loop, the
 * message's own References trusted over what others claimed, empty
 * containers pruned or kept to hold siblings together, and roots with the
 * same subject gathered into one thread.
 *
 * Every walk is iterative, so neither a 100,000-deep chain nor 100,000
 * articles can overflow the stack; apart from sorting, the work is linear
 * in the number of message-ids, plus the length of the parent chains walked
 * when a link has to be checked for a loop.
 *
 * @module
 */

/** What {@linkcode threadArticles} needs of an article. */
export interface ThreadInput {
  /** The Message-ID, with its angle brackets. Empty when unknown. */
  messageId: string;
  /**
   * The References, oldest first: a list of message-ids, or the raw header
   * value (split on whitespace).
   */
  references: readonly string[] | string;
  /** The subject, decoded (RFC 2047) so that replies compare equal. */
  subject: string;
  /** The date: a `Date` or milliseconds since the epoch; invalid or missing sorts as oldest. */
  date?: Date | number;
}

/** One node of a thread tree. */
export interface ThreadNode<T> {
  /**
   * The message-id this node stands for. A duplicate or missing message-id
   * gets a unique synthetic one (`<id>#dup-2`), as does the placeholder that
   * holds root articles with the same subject together.
   */
  messageId: string;
  /**
   * The article, or `undefined` for a placeholder: a parent that was
   * referenced but is not in the input (kept when it holds several
   * top-level replies together), or a subject group.
   */
  article: T | undefined;
  /** The replies, oldest first. */
  children: ThreadNode<T>[];
}

/** Options for {@linkcode threadArticles}. */
export interface ThreadOptions {
  /**
   * Gather root articles whose subjects are the same once `Re:`, `AW:`,
   * `Fwd:`… are stripped (JWZ step 5).
   *
   * @default {true}
   */
  subjectFallback?: boolean;
}

/**
 * Reply and forward prefixes, repeated: `Re:`, `RE:`, `Re[2]:`, `Re^2:`,
 * `Re(2):`, `AW:`, `SV:`, `VS:`, `Antw:`, `WG:`, `TR:`, `Odp:`, `Fwd:`,
 * `Fw:`, with optional space before the colon.
 */
const SUBJECT_PREFIX_REGEXP =
  /^(?:\s*(?:re|aw|sv|vs|antw|wg|tr|odp|fwd?)\s*(?:\[\d{1,6}\]|\^\d{1,6}|\(\d{1,6}\))?\s*:)+\s*/i;
const WHITESPACE_REGEXP = /\s+/g;
const SPLIT_REGEXP = /\s+/;

/**
 * The subject without its reply and forward prefixes (`Re:`, `RE:`,
 * `Re[2]:`, `AW:`, `SV:`, `Fwd:`…, repeated), with runs of whitespace made
 * one space, trimmed.
 *
 * @param subject The decoded subject.
 * @returns The base subject, as written (case kept).
 *
 * @example Usage
 * ```ts
 * import { baseSubject } from "./news_thread.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * assertEquals(baseSubject("Re: AW: Re[2]:  Deno  2.0"), "Deno 2.0");
 * ```
 */
export function baseSubject(subject: string): string {
  return subject.replace(SUBJECT_PREFIX_REGEXP, "").replace(
    WHITESPACE_REGEXP,
    " ",
  ).trim();
}

interface Container<T> {
  id: string;
  article: T | undefined;
  /** Position in the input, -1 for an empty container. */
  index: number;
  /** The article's time, `-Infinity` when unknown or empty. */
  time: number;
  parent: Container<T> | null;
  first: Container<T> | null;
  prev: Container<T> | null;
  next: Container<T> | null;
  /** Subtree extremes, filled in before sorting. */
  oldest: number;
  newest: number;
  newestIndex: number;
}

function container<T>(id: string): Container<T> {
  return {
    id,
    article: undefined,
    index: -1,
    time: -Infinity,
    parent: null,
    first: null,
    prev: null,
    next: null,
    oldest: Infinity,
    newest: -Infinity,
    newestIndex: -1,
  };
}

function unlink<T>(c: Container<T>): void {
  const parent = c.parent;
  if (parent === null) return;
  if (c.prev !== null) c.prev.next = c.next;
  else parent.first = c.next;
  if (c.next !== null) c.next.prev = c.prev;
  c.parent = c.prev = c.next = null;
}

function addChild<T>(parent: Container<T>, c: Container<T>): void {
  c.parent = parent;
  c.prev = null;
  c.next = parent.first;
  if (parent.first !== null) parent.first.prev = c;
  parent.first = c;
}

/** Whether `a` is `c` or one of its ancestors: linking `a` under `c` would loop. */
function isAncestorOrSelf<T>(a: Container<T>, c: Container<T>): boolean {
  if (a === c) return true;
  if (a.first === null) return false; // a leaf is nobody's ancestor
  for (let p = c.parent; p !== null; p = p.parent) if (p === a) return true;
  return false;
}

function moveChildren<T>(from: Container<T>, to: Container<T>): void {
  let g = from.first;
  while (g !== null) {
    const following = g.next;
    unlink(g);
    addChild(to, g);
    g = following;
  }
}

function timeOf(date: Date | number | undefined): number {
  const t = date instanceof Date ? date.getTime() : date;
  return typeof t === "number" && Number.isFinite(t) ? t : -Infinity;
}

function referenceList(refs: readonly string[] | string): readonly string[] {
  if (typeof refs === "string") {
    const trimmed = refs.trim();
    return trimmed === "" ? [] : trimmed.split(SPLIT_REGEXP);
  }
  return refs;
}

/**
 * Threads articles by their References (JWZ's algorithm) and sorts the
 * result: threads newest first, by their newest article; replies in each
 * thread oldest first, in reading order. Ties keep the input order (a later
 * article counts as newer).
 *
 * It survives what real groups contain: reference loops (a link that would
 * close one is not made), self-references (ignored), parents that were never
 * seen (placeholders, pruned unless they hold several top-level replies
 * together), replies that arrive before their parent, and duplicate
 * message-ids (the second article gets a synthetic id and is threaded by its
 * own References). With `subjectFallback`, roots whose subjects match after
 * `Re:`/`AW:`/`Fwd:`… are stripped are gathered: a reply goes under the
 * original, two originals or two replies under a placeholder.
 *
 * @typeParam T The article type.
 * @param articles The articles, in any order (usually by article number).
 * @param options Threading options.
 * @returns The threads, newest first.
 *
 * @example Usage
 * ```ts
 * import { threadArticles } from "./news_thread.ts";
 * import { assertEquals } from "../tests/_assert.ts";
 *
 * const threads = threadArticles([
 *   { messageId: "<2@x>", references: ["<1@x>"], subject: "Re: hi", date: 2 },
 *   { messageId: "<1@x>", references: [], subject: "hi", date: 1 },
 *   { messageId: "<3@x>", references: [], subject: "other", date: 3 },
 * ]);
 * assertEquals(threads.map((t) => t.messageId), ["<3@x>", "<1@x>"]);
 * assertEquals(threads[1]!.children[0]!.article?.subject, "Re: hi");
 * ```
 */
export function threadArticles<T extends ThreadInput>(
  articles: readonly T[],
  options: ThreadOptions = {},
): ThreadNode<T>[] {
  const table = new Map<string, Container<T>>();
  const get = (id: string): Container<T> => {
    let c = table.get(id);
    if (c === undefined) {
      c = container<T>(id);
      table.set(id, c);
    }
    return c;
  };

  // Step 1: a container for every message-id, linked by References.
  for (let i = 0; i < articles.length; i++) {
    const article = articles[i]!;
    const ownId = article.messageId.trim();
    let c = ownId === "" ? undefined : table.get(ownId);
    if (c === undefined || c.article !== undefined) {
      // New, or a duplicate (or missing) message-id: a synthetic one.
      const id = c === undefined && ownId !== ""
        ? ownId
        : uniqueId(table, ownId, i);
      c = container<T>(id);
      table.set(id, c);
    }
    c.article = article;
    c.index = i;
    c.time = timeOf(article.date);

    let prev: Container<T> | undefined;
    for (const raw of referenceList(article.references)) {
      const ref = raw.trim();
      if (ref === "" || ref === ownId) continue;
      const r = get(ref);
      if (
        prev !== undefined && r.parent === null && !isAncestorOrSelf(r, prev)
      ) {
        addChild(prev, r);
      }
      prev = r;
    }
    // The message's own References decide its parent.
    if (prev === undefined) {
      unlink(c);
    } else if (c.parent !== prev && !isAncestorOrSelf(c, prev)) {
      unlink(c);
      addChild(prev, c);
    }
  }

  // Step 2: the root set, under one dummy container.
  const root = container<T>("");
  for (const c of table.values()) if (c.parent === null) addChild(root, c);
  table.clear();

  // Step 4: prune empty containers, children before parents.
  const order = preorder(root);
  for (let k = order.length - 1; k >= 0; k--) prune(order[k]!, root);

  // Step 5: gather roots by subject.
  if (options.subjectFallback ?? true) gatherBySubject(root, articles.length);

  // Sort and convert.
  return convert(root);
}

function uniqueId<T>(
  table: Map<string, Container<T>>,
  id: string,
  index: number,
): string {
  let candidate = id === "" ? `<no-id.${index}>` : `${id}#dup-${index}`;
  while (table.has(candidate)) candidate += "+";
  return candidate;
}

/** Containers in pre-order (parents before children), iteratively. */
function preorder<T>(root: Container<T>): Container<T>[] {
  const out: Container<T>[] = [];
  const stack: Container<T>[] = [root];
  while (stack.length > 0) {
    const c = stack.pop()!;
    out.push(c);
    for (let child = c.first; child !== null; child = child.next) {
      stack.push(child);
    }
  }
  return out;
}

/**
 * Prunes the children of `parent`, whose own children are already pruned:
 * an empty child without children goes; an empty child with children is
 * replaced by them, except at the root level when there are several.
 */
function prune<T>(parent: Container<T>, root: Container<T>): void {
  let c = parent.first;
  while (c !== null) {
    const next = c.next;
    if (c.article === undefined) {
      if (c.first === null) {
        unlink(c);
      } else if (parent !== root || c.first.next === null) {
        moveChildren(c, parent);
        unlink(c);
      }
    }
    c = next;
  }
}

interface SubjectInfo {
  base: string;
  reply: boolean;
}

function subjectInfo<T extends ThreadInput>(
  c: Container<T>,
): SubjectInfo | undefined {
  const article = c.article ?? c.first?.article;
  if (article === undefined) return undefined;
  const subject = article.subject;
  const stripped = subject.replace(SUBJECT_PREFIX_REGEXP, "");
  const base = stripped.replace(WHITESPACE_REGEXP, " ").trim().toLowerCase();
  if (base === "") return undefined;
  return { base, reply: stripped.length !== subject.length };
}

function gatherBySubject<T extends ThreadInput>(
  root: Container<T>,
  count: number,
): void {
  const roots: Container<T>[] = [];
  for (let c = root.first; c !== null; c = c.next) roots.push(c);
  const info = new Map<Container<T>, SubjectInfo>();
  const bySubject = new Map<string, Container<T>>();
  for (const c of roots) {
    const s = subjectInfo(c);
    if (s === undefined) continue;
    info.set(c, s);
    const old = bySubject.get(s.base);
    if (
      old === undefined ||
      (c.article === undefined && old.article !== undefined) ||
      (old.article !== undefined && c.article !== undefined &&
        info.get(old)!.reply && !s.reply)
    ) {
      bySubject.set(s.base, c);
    }
  }
  let groups = 0;
  for (const c of roots) {
    const s = info.get(c);
    if (s === undefined) continue;
    const old = bySubject.get(s.base)!;
    if (old === c) continue;
    if (old.article === undefined && c.article === undefined) {
      unlink(c);
      moveChildren(c, old);
    } else if (old.article === undefined) {
      unlink(c);
      addChild(old, c);
    } else if (c.article === undefined) {
      unlink(old);
      addChild(c, old);
      bySubject.set(s.base, c);
    } else if (!info.get(old)!.reply && s.reply) {
      unlink(c);
      addChild(old, c);
    } else if (info.get(old)!.reply && !s.reply) {
      unlink(old);
      addChild(c, old);
      bySubject.set(s.base, c);
    } else {
      // Both replies or both originals: siblings under a placeholder.
      const group = container<T>(`<subject.${count + groups++}>`);
      unlink(old);
      unlink(c);
      addChild(root, group);
      addChild(group, old);
      addChild(group, c);
      bySubject.set(s.base, group);
    }
  }
}

function convert<T>(root: Container<T>): ThreadNode<T>[] {
  // Subtree extremes, children before parents.
  const order = preorder(root);
  for (let k = order.length - 1; k > 0; k--) {
    const c = order[k]!;
    if (c.article !== undefined) {
      if (c.time < c.oldest) c.oldest = c.time;
      if (
        c.time > c.newest || (c.time === c.newest && c.index > c.newestIndex)
      ) {
        c.newest = c.time;
        c.newestIndex = c.index;
      }
    }
    const p = c.parent!;
    if (c.oldest < p.oldest) p.oldest = c.oldest;
    if (
      c.newest > p.newest ||
      (c.newest === p.newest && c.newestIndex > p.newestIndex)
    ) {
      p.newest = c.newest;
      p.newestIndex = c.newestIndex;
    }
  }
  const threads: ThreadNode<T>[] = [];
  const rootChildren = childrenOf(root).sort(newestFirst);
  const stack: [Container<T>, ThreadNode<T>][] = [];
  for (const c of rootChildren) {
    const node = nodeOf(c);
    threads.push(node);
    stack.push([c, node]);
  }
  while (stack.length > 0) {
    const [c, node] = stack.pop()!;
    if (c.first === null) continue;
    for (const child of childrenOf(c).sort(oldestFirst)) {
      const childNode = nodeOf(child);
      node.children.push(childNode);
      stack.push([child, childNode]);
    }
  }
  return threads;
}

function childrenOf<T>(c: Container<T>): Container<T>[] {
  const out: Container<T>[] = [];
  for (let child = c.first; child !== null; child = child.next) {
    out.push(child);
  }
  return out;
}

function nodeOf<T>(c: Container<T>): ThreadNode<T> {
  return { messageId: c.id, article: c.article, children: [] };
}

function newestFirst<T>(a: Container<T>, b: Container<T>): number {
  if (a.newest !== b.newest) return a.newest < b.newest ? 1 : -1;
  return b.newestIndex - a.newestIndex;
}

function sortKey<T>(c: Container<T>): number {
  return c.article !== undefined ? c.time : c.oldest;
}

function oldestFirst<T>(a: Container<T>, b: Container<T>): number {
  const x = sortKey(a);
  const y = sortKey(b);
  if (x !== y) return x < y ? -1 : 1;
  return firstIndex(a) - firstIndex(b);
}

function firstIndex<T>(c: Container<T>): number {
  if (c.index !== -1) return c.index;
  // A placeholder: the earliest position among its children.
  let min = Infinity;
  for (let child = c.first; child !== null; child = child.next) {
    if (child.index !== -1 && child.index < min) min = child.index;
  }
  return min;
}
