import { assert, assertEquals, assertThrows } from "./_assert.ts";
import {
  DEFAULT_MAX_LISTING_ENTRIES,
  formatFtpTime,
  type FtpEntry,
  isSafeEntryName,
  parseFtpTime,
  parseListing,
  parseMlsdLine,
  parseMlstReply,
} from "../protocols/ftp_list.ts";
import vsftpdUnix from "./testdata/ftp_list/vsftpd_unix.json" with {
  type: "json",
};
import proftpdMlsd from "./testdata/ftp_list/proftpd_mlsd.json" with {
  type: "json",
};
import pureFtpdMlsd from "./testdata/ftp_list/pure_ftpd_mlsd.json" with {
  type: "json",
};
import iisDos from "./testdata/ftp_list/iis_dos.json" with { type: "json" };
import hostileUnix from "./testdata/ftp_list/hostile_unix.json" with {
  type: "json",
};
import localizedUnix from "./testdata/ftp_list/localized_unix.json" with {
  type: "json",
};

const NOW = new Date("2024-06-15T12:00:00Z");

/** A UTC date from `YYYY-MM-DDTHH:MM[:SS[.sss]]`. */
function utc(text: string): Date {
  return new Date(text + "Z");
}

/** What a line should give: an entry without `raw` (and `facts` = {}), or null. */
type Expected = Omit<FtpEntry, "raw" | "facts"> & {
  facts?: Record<string, string>;
};

interface LineCase {
  title: string;
  line: string;
  now?: Date;
  /** `null` when the line must land in `unparsed`. */
  expected: Expected | null;
}

async function runCases(
  t: Deno.TestContext,
  cases: LineCase[],
): Promise<void> {
  for (const c of cases) {
    await t.step(c.title, () => {
      const result = parseListing(c.line, { now: c.now ?? NOW });
      if (c.expected === null) {
        assertEquals(result, { entries: [], unparsed: [c.line] });
      } else {
        const entry: FtpEntry = { facts: {}, ...c.expected, raw: c.line };
        assertEquals(result, { entries: [entry], unparsed: [] });
      }
    });
  }
}

const UNIX_CASES: LineCase[] = [
  {
    title: "directory with a year",
    line: "drwxr-xr-x    2 ftp      ftp          4096 Jan 15  2023 pub",
    expected: {
      name: "pub",
      type: "dir",
      size: 4096,
      modified: utc("2023-01-15T00:00"),
      modifiedPrecision: "day",
      permissions: "drwxr-xr-x",
      owner: "ftp",
      group: "ftp",
    },
  },
  {
    title: "file with a time and numeric owners",
    line: "-rw-r--r--    1 1000     1000           42 Mar  3 10:30 a.txt",
    expected: {
      name: "a.txt",
      type: "file",
      size: 42,
      modified: utc("2024-03-03T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "1000",
      group: "1000",
    },
  },
  {
    title: "no group column",
    line: "-rw-r--r--   1 alice       1234 Jan 15 10:30 notes.txt",
    expected: {
      name: "notes.txt",
      type: "file",
      size: 1234,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "alice",
    },
  },
  {
    title: "no group column with a numeric owner",
    line: "-rw-r--r--   1 1000           5 Jan 15 10:30 x",
    expected: {
      name: "x",
      type: "file",
      size: 5,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "1000",
    },
  },
  {
    title: "no owner and no group",
    line: "-rw-r--r--   1     5 Jan 15 10:30 bare",
    expected: {
      name: "bare",
      type: "file",
      size: 5,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
    },
  },
  {
    title: "symbolic link",
    line:
      "lrwxrwxrwx    1 root     root            7 Jan 15 10:30 latest -> v2/beta",
    expected: {
      name: "latest",
      type: "link",
      size: 7,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "lrwxrwxrwx",
      owner: "root",
      group: "root",
      target: "v2/beta",
    },
  },
  {
    title: "symbolic link whose target holds an arrow",
    line: "lrwxrwxrwx    1 root     root           42 Jan 15 10:30 a -> b -> c",
    expected: {
      name: "a",
      type: "link",
      size: 42,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "lrwxrwxrwx",
      owner: "root",
      group: "root",
      target: "b -> c",
    },
  },
  {
    title: "symbolic link whose size matches the whole arrow target",
    line: "lrwxrwxrwx    1 root     root            6 Jan 15 10:30 a -> b -> c",
    expected: {
      name: "a",
      type: "link",
      size: 6,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "lrwxrwxrwx",
      owner: "root",
      group: "root",
      target: "b -> c",
    },
  },
  {
    title: "symbolic link whose name holds an arrow, told by the target size",
    line:
      "lrwxrwxrwx    1 root     root            4 Jan 15 10:30 x -> y -> /etc",
    expected: {
      name: "x -> y",
      type: "link",
      size: 4,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "lrwxrwxrwx",
      owner: "root",
      group: "root",
      target: "/etc",
    },
  },
  {
    title: "symbolic link listed without its target",
    line: "lrwxrwxrwx    1 root     root            4 Jan 15 10:30 link",
    expected: {
      name: "link",
      type: "link",
      size: 4,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "lrwxrwxrwx",
      owner: "root",
      group: "root",
    },
  },
  {
    title: "regular file whose name holds an arrow",
    line: "-rw-r--r--    1 root     root            4 Jan 15 10:30 a -> b",
    expected: {
      name: "a -> b",
      type: "file",
      size: 4,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "root",
      group: "root",
    },
  },
  {
    title: "character device with major, minor",
    line: "crw-r--r--    1 root     root       1,   3 Jan 15 10:30 null",
    expected: {
      name: "null",
      type: "other",
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "crw-r--r--",
      owner: "root",
      group: "root",
    },
  },
  {
    title: "block device with a packed major,minor",
    line: "brw-rw----    1 root     disk       8,0 Jan 15 10:30 sda",
    expected: {
      name: "sda",
      type: "other",
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "brw-rw----",
      owner: "root",
      group: "disk",
    },
  },
  {
    title: "named pipe",
    line: "prw-r--r--    1 root     root            0 Jan 15 10:30 fifo",
    expected: {
      name: "fifo",
      type: "other",
      size: 0,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "prw-r--r--",
      owner: "root",
      group: "root",
    },
  },
  {
    title: "socket",
    line: "srwxrwxrwx    1 root     root            0 Jan 15 10:30 sock",
    expected: {
      name: "sock",
      type: "other",
      size: 0,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "srwxrwxrwx",
      owner: "root",
      group: "root",
    },
  },
  {
    title: "ACL mark +",
    line: "-rw-r--r--+   1 ann      staff          12 Jan 15 10:30 acl",
    expected: {
      name: "acl",
      type: "file",
      size: 12,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--+",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "extended attribute mark @",
    line: "-rw-r--r--@   1 ann      staff          12 Jan 15 10:30 xattr",
    expected: {
      name: "xattr",
      type: "file",
      size: 12,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--@",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "SELinux mark . and sticky bit",
    line: "drwxrwxrwt.  10 root     root         4096 Jan 15 10:30 tmp",
    expected: {
      name: "tmp",
      type: "dir",
      size: 4096,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "drwxrwxrwt.",
      owner: "root",
      group: "root",
    },
  },
  {
    title: "setuid, setgid and capital sticky bits",
    line: "-rwsr-Sr-T    1 root     root          100 Jan 15 10:30 suid",
    expected: {
      name: "suid",
      type: "file",
      size: 100,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rwsr-Sr-T",
      owner: "root",
      group: "root",
    },
  },
  {
    title: "name with inner and trailing spaces",
    line: "-rw-r--r--    1 ann      staff          12 Jan 15 10:30 my  file  ",
    expected: {
      name: "my  file  ",
      type: "file",
      size: 12,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "name with leading spaces after a time",
    line: "-rw-r--r--    1 ann      staff          12 Jan 15 10:30   lead",
    expected: {
      name: "  lead",
      type: "file",
      size: 12,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "name with a leading space after a year",
    line: "-rw-r--r--    1 ann      staff          12 Jan 15  2020  lead",
    expected: {
      name: " lead",
      type: "file",
      size: 12,
      modified: utc("2020-01-15T00:00"),
      modifiedPrecision: "day",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "name that looks like a date",
    line:
      "-rw-r--r--    1 ann      staff          12 Jan 15 10:30 Feb 16 11:00 x",
    expected: {
      name: "Feb 16 11:00 x",
      type: "file",
      size: 12,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "name holding a whole listing line",
    line: "-rw-r--r-- 1 u g 12 Jan 15 10:30 -rw-r--r-- 1 u g 9 Jan 15 10:30 y",
    expected: {
      name: "-rw-r--r-- 1 u g 9 Jan 15 10:30 y",
      type: "file",
      size: 12,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "u",
      group: "g",
    },
  },
  {
    title: "a date far from the mode string is not looked for",
    line: "-rw-r--r-- 1 u g 12 Foo 15 10:30 1 Jan 15 10:30 x",
    expected: null,
  },
  {
    title: "owner named like a month",
    line: "-rw-r--r--    1 jan      may            12 Jan 15 10:30 x",
    expected: {
      name: "x",
      type: "file",
      size: 12,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "jan",
      group: "may",
    },
  },
  {
    title: "tab between date and name",
    line: "-rw-r--r--\t1 ann\tstaff\t12 Jan 15 10:30\ttabbed name",
    expected: {
      name: "tabbed name",
      type: "file",
      size: 12,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "inode and block count columns",
    line: "  1234    8 -rw-r--r--  1 ann staff 4096 Jan 15 10:30 inode",
    expected: {
      name: "inode",
      type: "file",
      size: 4096,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "long-iso date",
    line:
      "-rw-r--r--    1 ann      staff          12 2024-01-15 10:30 iso name",
    expected: {
      name: "iso name",
      type: "file",
      size: 12,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "full-iso date with a zone",
    line: "-rw-r--r-- 1 ann staff 12 2024-01-15 10:30:45.123456789 +0100 full",
    expected: {
      name: "full",
      type: "file",
      size: 12,
      modified: utc("2024-01-15T09:30:45.123"),
      modifiedPrecision: "second",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "iso date of an old file",
    line: "-rw-r--r-- 1 ann staff 12 2019-07-04  old",
    expected: {
      name: "old",
      type: "file",
      size: 12,
      modified: utc("2019-07-04T00:00"),
      modifiedPrecision: "day",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "iso date of a recent file",
    line: "-rw-r--r-- 1 ann staff 12 05-20 08:15 recent",
    expected: {
      name: "recent",
      type: "file",
      size: 12,
      modified: utc("2024-05-20T08:15"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "BSD ls -lT date with seconds and year",
    line: "-rw-r--r--  1 ann  staff  12 Jan 15 10:30:45 2021 bsd",
    expected: {
      name: "bsd",
      type: "file",
      size: 12,
      modified: utc("2021-01-15T10:30:45"),
      modifiedPrecision: "second",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "day before month",
    line: "drwxr-xr-x  2 ann staff 4096 15. Jan 10:30 Ordner",
    expected: {
      name: "Ordner",
      type: "dir",
      size: 4096,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "drwxr-xr-x",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "German month name",
    line: "-rw-r--r--  1 hans users 1234 Mär 15  2023 Größe.txt",
    expected: {
      name: "Größe.txt",
      type: "file",
      size: 1234,
      modified: utc("2023-03-15T00:00"),
      modifiedPrecision: "day",
      permissions: "-rw-r--r--",
      owner: "hans",
      group: "users",
    },
  },
  {
    title: "French month name with a dot",
    line: "-rw-r--r--  1 jean users 10 févr. 3 09:05 fichier",
    expected: {
      name: "fichier",
      type: "file",
      size: 10,
      modified: utc("2024-02-03T09:05"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "jean",
      group: "users",
    },
  },
  {
    title: "Japanese month",
    line: "-rw-r--r--  1 user group 1234  1月 15 10:30 日本語.txt",
    expected: {
      name: "日本語.txt",
      type: "file",
      size: 1234,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "user",
      group: "group",
    },
  },
  {
    title: "Japanese month, day and year marks",
    line: "-rw-r--r--  1 user group 1234 12月 24日 2022年 古い.txt",
    expected: {
      name: "古い.txt",
      type: "file",
      size: 1234,
      modified: utc("2022-12-24T00:00"),
      modifiedPrecision: "day",
      permissions: "-rw-r--r--",
      owner: "user",
      group: "group",
    },
  },
  {
    title: "Russian month",
    line: "-rw-r--r--  1 ivan users 77 янв 15 10:30 файл.txt",
    expected: {
      name: "файл.txt",
      type: "file",
      size: 77,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "ivan",
      group: "users",
    },
  },
  {
    title: "Latin-1 month read as UTF-8 with a replacement character",
    line: "-rw-r--r--  1 hans users 5 M\ufffdr 15  2023 Gr\ufffd\ufffde",
    expected: {
      name: "Gr\ufffd\ufffde",
      type: "file",
      size: 5,
      modified: utc("2023-03-15T00:00"),
      modifiedPrecision: "day",
      permissions: "-rw-r--r--",
      owner: "hans",
      group: "users",
    },
  },
  {
    title: "UTF-8 month read as Latin-1",
    line: "-rw-r--r--  1 hans users 5 MÃ¤r 15  2023 GrÃ¶ÃŸe",
    expected: {
      name: "GrÃ¶ÃŸe",
      type: "file",
      size: 5,
      modified: utc("2023-03-15T00:00"),
      modifiedPrecision: "day",
      permissions: "-rw-r--r--",
      owner: "hans",
      group: "users",
    },
  },
  {
    title: "current directory entry",
    line: "drwxr-xr-x    2 ftp      ftp          4096 Jan 15 10:30 .",
    expected: {
      name: ".",
      type: "dir",
      size: 4096,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "drwxr-xr-x",
      owner: "ftp",
      group: "ftp",
    },
  },
  {
    title: "parent directory entry",
    line: "drwxr-xr-x    2 ftp      ftp          4096 Jan 15 10:30 ..",
    expected: {
      name: "..",
      type: "dir",
      size: 4096,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
      permissions: "drwxr-xr-x",
      owner: "ftp",
      group: "ftp",
    },
  },
  {
    title: "February 29 without a year goes to a leap year",
    line: "-rw-r--r--    1 ann      staff          12 Feb 29 10:30 leap",
    now: utc("2025-03-01T00:00"),
    expected: {
      name: "leap",
      type: "file",
      size: 12,
      modified: utc("2024-02-29T10:30"),
      modifiedPrecision: "minute",
      permissions: "-rw-r--r--",
      owner: "ann",
      group: "staff",
    },
  },
  {
    title: "February 30 is refused",
    line: "-rw-r--r-- 1 a b 1 Feb 30 10:30 x",
    expected: null,
  },
  {
    title: "hour 24 is refused",
    line: "-rw-r--r-- 1 a b 1 Feb 3 24:00 x",
    expected: null,
  },
  {
    title: "missing name",
    line: "-rw-r--r-- 1 a b 1 Feb 3 10:00",
    expected: null,
  },
  {
    title: "size not a number",
    line: "-rw-r--r-- 1 a b 1k Feb 3 10:00 x",
    expected: null,
  },
  {
    title: "unknown month",
    line: "-rw-r--r-- 1 a b 1 Foo 3 10:00 x",
    expected: null,
  },
  { title: "mode string alone", line: "-rw-r--r--", expected: null },
  {
    title: "bad mode string",
    line: "-rw-r--r-x- 1 a b 1 Feb 3 10:00 x",
    expected: null,
  },
];

Deno.test({
  name: "parseListing() reads Unix ls -l lines",
  permissions: "none",
  async fn(t) {
    await runCases(t, UNIX_CASES);
  },
});

/** A file line with the given date, for the year guessing table. */
function dated(date: string): string {
  return `-rw-r--r--    1 ann      staff          12 ${date} x`;
}

Deno.test({
  name: "parseListing() dates year-less Unix lines relative to now",
  permissions: "none",
  async fn(t) {
    const cases: [string, string, string, string][] = [
      ["today", "2024-06-15T12:00", "Jun 15 10:00", "2024-06-15T10:00"],
      ["tomorrow", "2024-06-15T12:00", "Jun 16 10:00", "2024-06-16T10:00"],
      [
        "five months ago",
        "2024-06-15T12:00",
        "Jan 15 10:00",
        "2024-01-15T10:00",
      ],
      [
        "five months ahead",
        "2024-06-15T12:00",
        "Nov 20 10:00",
        "2024-11-20T10:00",
      ],
      [
        "not seven months ahead",
        "2024-06-15T12:00",
        "Jan 20 10:00",
        "2024-01-20T10:00",
      ],
      [
        "not eight months ahead",
        "2024-06-15T12:00",
        "Feb 20 10:00",
        "2024-02-20T10:00",
      ],
      [
        "December, listed in January",
        "2025-01-02T00:00",
        "Dec 30 23:59",
        "2024-12-30T23:59",
      ],
      [
        "January, listed on New Year's Eve",
        "2024-12-31T23:00",
        "Jan  1 00:30",
        "2025-01-01T00:30",
      ],
      [
        "six weeks ahead, not ten months ago",
        "2024-12-20T00:00",
        "Feb  1 10:00",
        "2025-02-01T10:00",
      ],
      ["last year", "2024-03-01T00:00", "Dec 25 10:00", "2023-12-25T10:00"],
    ];
    for (const [title, now, date, expected] of cases) {
      await t.step(title, () => {
        const { entries } = parseListing(dated(date), { now: utc(now) });
        assertEquals(entries[0]?.modified, utc(expected));
      });
    }
  },
});

const DOS_CASES: LineCase[] = [
  {
    title: "IIS directory with a two-digit year and 12-hour time",
    line: "01-15-24  10:30AM       <DIR>          name with spaces",
    expected: {
      name: "name with spaces",
      type: "dir",
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
    },
  },
  {
    title: "file with a four-digit year and 24-hour time",
    line: "01-15-2024  22:30   1234 file.txt",
    expected: {
      name: "file.txt",
      type: "file",
      size: 1234,
      modified: utc("2024-01-15T22:30"),
      modifiedPrecision: "minute",
    },
  },
  {
    title: "12 AM is midnight",
    line: "01-15-24  12:05AM                    1 midnight",
    expected: {
      name: "midnight",
      type: "file",
      size: 1,
      modified: utc("2024-01-15T00:05"),
      modifiedPrecision: "minute",
    },
  },
  {
    title: "12 PM is noon",
    line: "01-15-24  12:05PM                    1 noon",
    expected: {
      name: "noon",
      type: "file",
      size: 1,
      modified: utc("2024-01-15T12:05"),
      modifiedPrecision: "minute",
    },
  },
  {
    title: "PM after a space and a twentieth-century year",
    line: "12-31-99  11:59 PM                 589 readme.htm",
    expected: {
      name: "readme.htm",
      type: "file",
      size: 589,
      modified: utc("1999-12-31T23:59"),
      modifiedPrecision: "minute",
    },
  },
  {
    title: "Windows dir line with grouped size",
    line: "01/15/2024  10:30 AM         1,234,567 big file.zip",
    expected: {
      name: "big file.zip",
      type: "file",
      size: 1234567,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
    },
  },
  {
    title: "day first with dots",
    line: "15.01.2024  22:30    <DIR>          Ordner",
    expected: {
      name: "Ordner",
      type: "dir",
      modified: utc("2024-01-15T22:30"),
      modifiedPrecision: "minute",
    },
  },
  {
    title: "day first when the first number is not a month",
    line: "25/12/2023  08:00               10 xmas.txt",
    expected: {
      name: "xmas.txt",
      type: "file",
      size: 10,
      modified: utc("2023-12-25T08:00"),
      modifiedPrecision: "minute",
    },
  },
  {
    title: "year first",
    line: "2024-01-15  22:30:15            10 iso.txt",
    expected: {
      name: "iso.txt",
      type: "file",
      size: 10,
      modified: utc("2024-01-15T22:30:15"),
      modifiedPrecision: "second",
    },
  },
  {
    title: "junction with its target",
    line: "01/15/2024  10:30 AM    <JUNCTION>     Docs [C:\\Users\\Docs]",
    expected: {
      name: "Docs",
      type: "link",
      target: "C:\\Users\\Docs",
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
    },
  },
  {
    title: "hostile name with a backslash",
    line: "01-15-24  10:30AM                    1 ..\\..\\boot.ini",
    expected: {
      name: "..\\..\\boot.ini",
      type: "file",
      size: 1,
      modified: utc("2024-01-15T10:30"),
      modifiedPrecision: "minute",
    },
  },
  { title: "13 PM is refused", line: "01-15-24  13:30PM  1 x", expected: null },
  {
    title: "month 13 is refused",
    line: "13-13-24  10:30  1 x",
    expected: null,
  },
  {
    title: "bad size grouping is refused",
    line: "01-15-24  10:30  1,23 x",
    expected: null,
  },
  { title: "missing name", line: "01-15-24  10:30AM  <DIR>", expected: null },
  { title: "date alone", line: "01-15-24", expected: null },
];

Deno.test({
  name: "parseListing() reads DOS and IIS lines",
  permissions: "none",
  async fn(t) {
    await runCases(t, DOS_CASES);
  },
});

const MLSD_CASES: LineCase[] = [
  {
    title: "file with the common facts",
    line:
      "type=file;size=1234;modify=20240115103000;perm=adfrw;unique=803U5; a.txt",
    expected: {
      name: "a.txt",
      type: "file",
      size: 1234,
      modified: utc("2024-01-15T10:30:00"),
      modifiedPrecision: "second",
      permissions: "adfrw",
      unique: "803U5",
      facts: {
        type: "file",
        size: "1234",
        modify: "20240115103000",
        perm: "adfrw",
        unique: "803U5",
      },
    },
  },
  {
    title: "odd fact order and case",
    line: "Size=5;Unique=X1;Modify=20240115103000.5;TYPE=File; b",
    expected: {
      name: "b",
      type: "file",
      size: 5,
      modified: utc("2024-01-15T10:30:00.500"),
      modifiedPrecision: "second",
      unique: "X1",
      facts: {
        size: "5",
        unique: "X1",
        modify: "20240115103000.5",
        type: "File",
      },
    },
  },
  {
    title: "directory size in sizd",
    line: "type=dir;sizd=4096; docs",
    expected: {
      name: "docs",
      type: "dir",
      size: 4096,
      facts: { type: "dir", sizd: "4096" },
    },
  },
  {
    title: "current directory",
    line: "type=cdir;perm=el; /pub/docs",
    expected: {
      name: "/pub/docs",
      type: "dir",
      permissions: "el",
      facts: { type: "cdir", perm: "el" },
    },
  },
  {
    title: "parent directory",
    line: "type=pdir; ..",
    expected: { name: "..", type: "dir", facts: { type: "pdir" } },
  },
  {
    title: "name with spaces and semicolons",
    line: "type=file;size=1; a; b=c;  d ",
    expected: {
      name: "a; b=c;  d ",
      type: "file",
      size: 1,
      facts: { type: "file", size: "1" },
    },
  },
  {
    title: "name with a leading space",
    line: "type=file;size=1;  lead",
    expected: {
      name: " lead",
      type: "file",
      size: 1,
      facts: { type: "file", size: "1" },
    },
  },
  {
    title: "missing final semicolon",
    line: "type=file;size=3 no semi",
    expected: {
      name: "no semi",
      type: "file",
      size: 3,
      facts: { type: "file", size: "3" },
    },
  },
  {
    title: "empty facts between semicolons",
    line: "type=file;;size=2;; x",
    expected: {
      name: "x",
      type: "file",
      size: 2,
      facts: { type: "file", size: "2" },
    },
  },
  {
    title: "fact value with a space",
    line: "type=file;UNIX.ownername=Domain Users;size=9; win",
    expected: {
      name: "win",
      type: "file",
      size: 9,
      owner: "Domain Users",
      facts: { type: "file", "unix.ownername": "Domain Users", size: "9" },
    },
  },
  {
    title: "symbolic link with a target",
    line: "type=OS.unix=slink:/srv/a -> b;size=9; ln",
    expected: {
      name: "ln",
      type: "link",
      target: "/srv/a -> b",
      size: 9,
      facts: { type: "OS.unix=slink:/srv/a -> b", size: "9" },
    },
  },
  {
    title: "symbolic link without a target",
    line: "type=OS.UNIX=symlink; ln",
    expected: {
      name: "ln",
      type: "link",
      facts: { type: "OS.UNIX=symlink" },
    },
  },
  {
    title: "character device",
    line: "type=OS.unix=chr-1/3; null",
    expected: {
      name: "null",
      type: "other",
      facts: { type: "OS.unix=chr-1/3" },
    },
  },
  {
    title: "unknown type and no type",
    line: "size=3;x.hash=abc; what",
    expected: {
      name: "what",
      type: "other",
      size: 3,
      facts: { size: "3", "x.hash": "abc" },
    },
  },
  {
    title: "unreadable size and modify are kept as facts only",
    line: "type=file;size=-1;modify=yesterday; odd",
    expected: {
      name: "odd",
      type: "file",
      facts: { type: "file", size: "-1", modify: "yesterday" },
    },
  },
  {
    title: "uid and gid facts",
    line: "type=file;UNIX.uid=1000;UNIX.gid=100;UNIX.mode=0644; u",
    expected: {
      name: "u",
      type: "file",
      owner: "1000",
      group: "100",
      facts: {
        type: "file",
        "unix.uid": "1000",
        "unix.gid": "100",
        "unix.mode": "0644",
      },
    },
  },
  {
    title: "hostile path name",
    line: "type=file;size=1; ../../etc/passwd",
    expected: {
      name: "../../etc/passwd",
      type: "file",
      size: 1,
      facts: { type: "file", size: "1" },
    },
  },
  { title: "facts without a name", line: "type=file;size=1;", expected: null },
  {
    title: "facts and an empty name",
    line: "type=file;size=1; ",
    expected: null,
  },
];

Deno.test({
  name: "parseListing() reads MLSD lines",
  permissions: "none",
  async fn(t) {
    await runCases(t, MLSD_CASES);
  },
});

Deno.test({
  name: "parseListing() reports garbage lines without throwing",
  permissions: "none",
  async fn(t) {
    const garbage = [
      "random garbage",
      "550 No files found",
      "ftp> ls",
      "=;",
      "type",
      ";type=file; x",
      "\u0000\u0001\u0002",
      "\ufffd\ufffd\ufffd\ufffd",
      "drwxr-xr-x",
      "drwxr-xr-x 2 u g notanumber Jan 15 10:30 x",
      "01-15-24",
      "Jan 15 10:30 name",
      "x".repeat(100_000),
      "-rw-r--r-- " + "1 ".repeat(10_000),
      "type=" + "a".repeat(100_000),
    ];
    for (const line of garbage) {
      await t.step(JSON.stringify(line.slice(0, 40)), () => {
        assertEquals(parseListing(line, { now: NOW }), {
          entries: [],
          unparsed: [line],
        });
      });
    }
    await t.step("random bytes", () => {
      // A fixed linear congruential generator keeps the test repeatable.
      let seed = 12345;
      const alphabet = "-rwxdlcbps0123456789 :;=.,<>/\\\r\t\u0000éJanFebDIRMAP";
      let text = "";
      for (let i = 0; i < 200_000; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        text += i % 97 === 0 ? "\n" : alphabet[seed % alphabet.length];
      }
      const result = parseListing(text, { now: NOW });
      assert(result.entries.length + result.unparsed.length > 0);
    });
  },
});

Deno.test({
  name: "parseListing() skips blank and total lines and keeps order",
  permissions: "none",
  fn() {
    const lines = [
      "total 24",
      "",
      "   ",
      "drwxr-xr-x 2 a b 4096 Jan 15 10:30 one",
      "insgesamt 8",
      "合計 16",
      "not a line",
      "type=file;size=1; two",
      "01-15-24  10:30AM  <DIR>  three",
      "",
    ];
    const result = parseListing(lines.join("\n"), { now: NOW });
    assertEquals(result.entries.map((e) => e.name), ["one", "two", "three"]);
    assertEquals(result.unparsed, ["not a line"]);
  },
});

Deno.test({
  name: "parseListing() skips a byte order mark and reads indented MLSD lines",
  permissions: "none",
  fn() {
    const text = "\ufefftype=file;size=1; first\r\n type=dir; second\r\n";
    const result = parseListing(text, { now: NOW });
    assertEquals(result.unparsed, []);
    assertEquals(result.entries.map((e) => [e.name, e.type]), [
      ["first", "file"],
      ["second", "dir"],
    ]);
  },
});

Deno.test({
  name: "parseListing() handles huge pathological lines",
  permissions: "none",
  fn() {
    const big = 200_000;
    const unparsable = [
      "01-15-24 10:30 " + "1".repeat(big),
      "01-15-24" + " ".repeat(big) + "10:30",
      "type=" + ";".repeat(big),
      "a=b;".repeat(big),
      "-rw-r--r-- " + " 1".repeat(big),
      "total" + " ".repeat(big) + "x",
      "1 ".repeat(big),
    ];
    for (const line of unparsable) {
      assertEquals(parseListing(line, { now: NOW }).unparsed, [line]);
    }
    const arrows = "a -> ".repeat(big);
    const link = "lrwxrwxrwx 1 u g 1 Jan 1 10:00 " + arrows + "b";
    const { entries } = parseListing(link, { now: NOW });
    assertEquals(entries[0]?.name, "a");
    assertEquals(entries[0]?.target, arrows.slice(5) + "b");
  },
});

Deno.test({
  name: "parseListing() gives the same result for CRLF and LF",
  permissions: "none",
  fn() {
    const lines = vsftpdUnix.lines;
    const crlf = parseListing(lines.join("\r\n") + "\r\n", { now: NOW });
    const lf = parseListing(lines.join("\n"), { now: NOW });
    assertEquals(crlf, lf);
    assertEquals(crlf.entries.length, lines.length);
  },
});

Deno.test({
  name: "parseListing() keeps a CR inside a line in the name",
  permissions: "none",
  fn() {
    const line = "-rw-r--r-- 1 a b 1 Jan 15 10:30 evil\rname";
    const { entries } = parseListing(line + "\r\n", { now: NOW });
    assertEquals(entries[0]?.name, "evil\rname");
    assertEquals(entries[0]?.raw, line);
  },
});

Deno.test({
  name: "parseListing() throws RangeError past maxEntries",
  permissions: "none",
  fn() {
    const text = "type=file; a\ntype=file; b\ntype=file; c\nnot an entry\n";
    assertEquals(parseListing(text, { maxEntries: 3 }).entries.length, 3);
    assertThrows(
      () => parseListing(text, { maxEntries: 2 }),
      RangeError,
      "more than 2 entries",
    );
    assertEquals(parseListing("junk\njunk\n", { maxEntries: 0 }).unparsed, [
      "junk",
      "junk",
    ]);
    assertThrows(() => parseListing("", { maxEntries: -1 }), RangeError);
    assertThrows(() => parseListing("", { maxEntries: NaN }), RangeError);
    assertThrows(() => parseListing("", { now: new Date("nope") }), RangeError);
    assertEquals(DEFAULT_MAX_LISTING_ENTRIES, 1_000_000);
  },
});

Deno.test({
  name: "parseListing() uses the current time by default",
  permissions: "none",
  fn() {
    const now = new Date();
    const month = now.toLocaleString("en", { month: "short", timeZone: "UTC" });
    const line = `-rw-r--r-- 1 a b 1 ${month} ${now.getUTCDate()} 00:00 x`;
    const { entries } = parseListing(line);
    assertEquals(entries[0]?.modified?.getUTCFullYear(), now.getUTCFullYear());
  },
});

interface Fixture {
  title: string;
  now: string;
  eol: string;
  lines: string[];
  entries: (Omit<FtpEntry, "modified"> & { modified?: string })[];
  unparsed: string[];
}

Deno.test({
  name: "parseListing() reads the server fixtures",
  permissions: "none",
  async fn(t) {
    const fixtures = [
      vsftpdUnix,
      proftpdMlsd,
      pureFtpdMlsd,
      iisDos,
      hostileUnix,
      localizedUnix,
    ] as unknown as Fixture[];
    for (const fixture of fixtures) {
      await t.step(fixture.title, () => {
        const text = fixture.lines.join(fixture.eol) + fixture.eol;
        const result = parseListing(text, { now: new Date(fixture.now) });
        const expected = fixture.entries.map((entry) => {
          const { modified, ...rest } = entry;
          const full: FtpEntry = { ...rest };
          if (modified !== undefined) full.modified = new Date(modified);
          return full;
        });
        assertEquals(result, { entries: expected, unparsed: fixture.unparsed });
      });
    }
  },
});

Deno.test({
  name: "parseListing() reads a Latin-1 listing decoded either way",
  permissions: "none",
  fn() {
    const listing = "-rw-r--r--  1 hans users 1234 Mär 15  2023 Größe.txt\r\n" +
      "drwxr-xr-x  2 hans users 4096 15. Okt 10:30 Übersicht\r\n";
    const bytes = Uint8Array.from(listing, (char) => char.charCodeAt(0));
    const asLatin1 = parseListing(new TextDecoder("latin1").decode(bytes), {
      now: NOW,
    });
    assertEquals(asLatin1.entries.map((e) => e.name), [
      "Größe.txt",
      "Übersicht",
    ]);
    const asUtf8 = parseListing(new TextDecoder().decode(bytes), { now: NOW });
    assertEquals(asUtf8.unparsed, []);
    assertEquals(asUtf8.entries.map((e) => e.name), [
      "Gr\ufffd\ufffde.txt",
      "\ufffdbersicht",
    ]);
    assertEquals(
      asUtf8.entries.map((e) => e.modified),
      [utc("2023-03-15T00:00"), utc("2024-10-15T10:30")],
    );
  },
});

Deno.test({
  name: "parseMlsdLine() throws SyntaxError on lines without facts",
  permissions: "none",
  fn() {
    assertThrows(() => parseMlsdLine("no facts here"), SyntaxError);
    assertThrows(() => parseMlsdLine("type=file;"), SyntaxError);
    assertThrows(() => parseMlsdLine("type=file; "), SyntaxError);
    assertThrows(() => parseMlsdLine(""), SyntaxError);
    assertEquals(parseMlsdLine(" type=file;size=2; indented").size, 2);
    assertEquals(
      parseMlsdLine("  type=file; two spaces").name,
      " type=file; two spaces",
    );
    assertEquals(parseMlsdLine(" bare name"), {
      name: "bare name",
      type: "other",
      facts: {},
      raw: " bare name",
    });
  },
});

Deno.test({
  name: "parseMlstReply() reads the entry line of a 250 reply",
  permissions: "none",
  async fn(t) {
    await t.step("reply lines", () => {
      const entry = parseMlstReply([
        "250-Listing /pub/a b.txt",
        " Type=file;Size=5;Modify=20240115103000; /pub/a b.txt",
        "250 End",
      ]);
      assertEquals(entry.name, "/pub/a b.txt");
      assertEquals(entry.type, "file");
      assertEquals(entry.size, 5);
      assertEquals(entry.modified, utc("2024-01-15T10:30:00"));
    });
    await t.step("reply text with CRLF", () => {
      const entry = parseMlstReply(
        "250- Listing\r\n type=dir;perm=el; /pub\r\n250 End\r\n",
      );
      assertEquals(entry.name, "/pub");
      assertEquals(entry.type, "dir");
      assertEquals(entry.permissions, "el");
    });
    await t.step("entry line without the leading space", () => {
      const entry = parseMlstReply([
        "250-Listing x",
        "type=file;size=1; x",
        "250 End",
      ]);
      assertEquals(entry.name, "x");
    });
    await t.step("no entry line", () => {
      assertThrows(
        () => parseMlstReply(["250-Listing x", "250 End"]),
        SyntaxError,
      );
      assertThrows(() => parseMlstReply([]), SyntaxError);
    });
  },
});

Deno.test({
  name: "parseFtpTime() reads RFC 3659 time values",
  permissions: "none",
  async fn(t) {
    const valid: [string, string][] = [
      ["20240115103000", "2024-01-15T10:30:00.000"],
      ["20240115103000.1", "2024-01-15T10:30:00.100"],
      ["20240115103000.123456", "2024-01-15T10:30:00.123"],
      [" 20240229235959\r\n", "2024-02-29T23:59:59.000"],
      ["00010101000000", "0001-01-01T00:00:00.000"],
      ["99991231235959", "9999-12-31T23:59:59.000"],
      ["19700101000000", "1970-01-01T00:00:00.000"],
      ["20231231235960", "2024-01-01T00:00:00.000"],
      ["191240115103000", "2024-01-15T10:30:00.000"],
    ];
    for (const [text, expected] of valid) {
      await t.step(JSON.stringify(text), () => {
        const date = parseFtpTime(text);
        assertEquals(date.toISOString(), expected + "Z");
      });
    }
    const invalid = [
      "",
      "garbage",
      "2024011510300",
      "202401151030000",
      "20241315103000",
      "20240230103000",
      "20230229103000",
      "20240115243000",
      "20240115106000",
      "20240115103061",
      "20240115103000.",
      "20240115103000Z",
      "2024-01-15 10:30:00",
      "+2024011510300",
      "２０２４０１１５１０３０００",
    ];
    for (const text of invalid) {
      await t.step(`${JSON.stringify(text)} throws`, () => {
        assertThrows(() => parseFtpTime(text), SyntaxError);
      });
    }
  },
});

Deno.test({
  name: "formatFtpTime() writes UTC time values",
  permissions: "none",
  fn() {
    assertEquals(
      formatFtpTime(utc("2024-01-15T10:30:00.999")),
      "20240115103000",
    );
    assertEquals(formatFtpTime(new Date(0)), "19700101000000");
    const early = new Date(0);
    early.setUTCFullYear(5, 0, 1);
    assertEquals(formatFtpTime(early), "00050101000000");
    const date = utc("2031-07-04T23:05:09");
    assertEquals(parseFtpTime(formatFtpTime(date)), date);
    assertThrows(() => formatFtpTime(new Date(NaN)), RangeError);
    assertThrows(() => formatFtpTime(new Date("+010000-01-01")), RangeError);
  },
});

Deno.test({
  name: "isSafeEntryName() refuses names that escape or control",
  permissions: "none",
  async fn(t) {
    const cases: [string, boolean][] = [
      ["report.pdf", true],
      ["with spaces ", true],
      [" leading", true],
      ["...", true],
      [".hidden", true],
      ["-rf", true],
      ["--output=x", true],
      ["café 日本語", true],
      ["\ufffd", true],
      ["a:b", true],
      ["", false],
      [".", false],
      ["..", false],
      ["a/b", false],
      ["/etc", false],
      ["../etc/passwd", false],
      ["a\\b", false],
      ["..\\boot.ini", false],
      ["nul\u0000byte", false],
      ["evil\rname", false],
      ["evil\nname", false],
      ["tab\tname", false],
      ["\u001b[31mred", false],
      ["del\u007f", false],
      ["c1\u0085next", false],
      ["c1\u009b", false],
      ["\u00a0nbsp", true],
    ];
    for (const [name, safe] of cases) {
      await t.step(`${JSON.stringify(name)} is ${safe}`, () => {
        assertEquals(isSafeEntryName(name), safe);
      });
    }
  },
});

Deno.test({
  name: "parseListing() returns hostile names for the caller to check",
  permissions: "none",
  fn() {
    const fixture = hostileUnix as unknown as Fixture;
    const { entries } = parseListing(fixture.lines.join(fixture.eol), {
      now: new Date(fixture.now),
    });
    const safe = entries.filter((e) => isSafeEntryName(e.name)).map((e) =>
      e.name
    );
    assertEquals(safe, ["--output=x", "root"]);
  },
});
