import { MAX_PATH_LENGTH, safeRelativePath } from '../safe-path.ts';

/**
 * Turns a model's reply into files: each fenced code block named by a path becomes one.
 * Names come from the model and are untrusted: every one goes through safeRelativePath,
 * and the number of files and their total size are capped. Nothing here touches the disk.
 *
 * Recognised names, first match wins:
 * 1. on the fence: ```ts src/app.ts, ```src/app.ts, ```ts:src/app.ts, ```path=src/app.ts,
 *    ```ts file=src/app.ts, ```ts title="src/app.ts";
 * 2. on the block's first line, with a label: `// filepath: src/app.ts`, `# file: app.py`,
 *    `<!-- file: index.html -->`;
 * 3. on the line just before the fence (one blank line allowed): `### src/app.ts`,
 *    `**src/app.ts**`, `` `src/app.ts` ``, `File: src/app.ts`, `1. **File: src/app.ts**`,
 *    or a sentence ending with a colon that names one file in backticks
 *    ("Create `src/app.ts`:"), except before a shell block.
 */

export interface ExtractOptions {
  maxFiles: number;
  maxTotalBytes: number;
  /** Longest accepted name; safeRelativePath's own cap applies too. */
  maxNameLength?: number;
  /** Names the generator writes itself (compared without case). */
  reserved?: readonly string[];
}

export interface ExtractedFile {
  path: string;
  content: string;
  bytes: number;
}

export interface RejectedFile {
  /** The name as the model wrote it, made printable and capped. */
  name: string;
  reason: string;
}

export interface ExtractResult {
  files: ExtractedFile[];
  rejected: RejectedFile[];
  /** Rejections beyond the listed ones (the list is capped). */
  rejectedOmitted: number;
  /** Fenced blocks found, named or not. */
  blocks: number;
}

export interface CodeBlock {
  /** The raw name found for the block, if any. */
  name: string | undefined;
  lang: string | undefined;
  content: string;
  /** False when the reply ended inside the block (cut off at max_tokens, say). */
  closed: boolean;
}

const MAX_REJECTED_LISTED = 500;
const NAME_KEYS = new Set(['path', 'file', 'filename', 'filepath', 'name']);
const SHELL_LANGS = new Set([
  'bash',
  'sh',
  'shell',
  'zsh',
  'console',
  'terminal',
  'powershell',
  'ps',
  'ps1',
  'cmd',
  'bat',
]);
const MARKDOWN_LANGS = new Set(['md', 'markdown', 'mdx']);
const KNOWN_BARE_NAMES = new Set([
  'Dockerfile',
  'Containerfile',
  'Makefile',
  'GNUmakefile',
  'Procfile',
  'Gemfile',
  'Rakefile',
  'Brewfile',
  'Vagrantfile',
  'Jenkinsfile',
  'Caddyfile',
  'Justfile',
  'LICENSE',
  'README',
  'CODEOWNERS',
]);
/** Extensions accepted for an unlabelled name without a slash ("### app.ts"). */
const CODE_EXTENSIONS = new Set(
  (
    'ts tsx mts cts js jsx mjs cjs json jsonc json5 md mdx markdown txt rst py pyi ipynb rb go rs java kt kts ' +
    'scala swift m mm c h cc cpp cxx hpp hh cs fs vb php pl pm lua r dart ex exs erl hrl hs ml mli clj cljs ' +
    'elm zig nim v sol html htm xhtml css scss sass less styl vue svelte astro hbs ejs pug njk jinja j2 twig ' +
    'liquid yml yaml toml ini cfg conf properties env xml xsd xsl svg csv tsv sql prisma graphql gql proto ' +
    'sh bash zsh fish ps1 psm1 bat cmd tf tfvars hcl nix gradle lock mod sum dockerfile makefile cmake mk ' +
    'gitignore dockerignore editorconfig npmrc nvmrc prettierrc eslintrc babelrc http rest wasm wat'
  ).split(' '),
);

/** Splits a reply into its fenced code blocks, each with the name it was given, if any. */
export function parseCodeBlocks(reply: string): CodeBlock[] {
  const lines = reply.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  let previousText: string | undefined;
  let blanksSince = 0;

  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const open = /^( *)(`{3,}|~{3,})(.*)$/.exec(line);
    if (!open || (open[2]?.startsWith('`') && open[3]?.includes('`'))) {
      if (line.trim() === '') blanksSince += 1;
      else {
        previousText = line;
        blanksSince = 0;
      }
      continue;
    }
    const indent = open[1]?.length ?? 0;
    const fence = open[2] ?? '```';
    const info = parseInfo(open[3] ?? '');
    const nests = info.lang !== undefined && MARKDOWN_LANGS.has(info.lang.toLowerCase());
    const body: string[] = [];
    let depth = 0;
    let closed = false;
    for (i += 1; i < lines.length; i += 1) {
      const inner = lines[i] ?? '';
      const fenceLine = /^( *)(`{3,}|~{3,})\s*(\S*)\s*$/.exec(inner);
      if (
        fenceLine &&
        fenceLine[2]?.[0] === fence[0] &&
        (fenceLine[2]?.length ?? 0) >= fence.length
      ) {
        const hasInfo = (fenceLine[3] ?? '') !== '';
        // Markdown in markdown (a README with its own examples): ```bash opens a nested
        // block and the next bare fence closes it, not the file.
        if (nests && hasInfo) depth += 1;
        else if (!hasInfo && depth > 0) depth -= 1;
        else if (!hasInfo && (fenceLine[1]?.length ?? 0) <= indent + 3) {
          closed = true;
          break;
        }
      }
      body.push(stripIndent(inner, indent));
    }
    const content = body.length > 0 ? `${body.join('\n')}\n` : '';
    const fromPreviousLine =
      previousText !== undefined && blanksSince <= 1
        ? nameFromLine(previousText, info.lang)
        : undefined;
    blocks.push({
      name: info.name ?? nameFromFirstLine(body[0]) ?? fromPreviousLine,
      lang: info.lang,
      content,
      closed,
    });
    previousText = undefined;
    blanksSince = 0;
  }
  return blocks;
}

/** The named blocks of a reply as checked files, and the names refused with the reason. */
export function extractFiles(reply: string, options: ExtractOptions): ExtractResult {
  const maxNameLength = Math.min(options.maxNameLength ?? MAX_PATH_LENGTH, MAX_PATH_LENGTH);
  const reserved = new Set((options.reserved ?? []).map((name) => name.toLowerCase()));
  const blocks = parseCodeBlocks(reply);
  const rejected: RejectedFile[] = [];
  let rejectedOmitted = 0;
  const reject = (name: string, reason: string): void => {
    if (rejected.length < MAX_REJECTED_LISTED) rejected.push({ name: printable(name), reason });
    else rejectedOmitted += 1;
  };

  // Checked names, in the order they first appear; a name given twice keeps its last block.
  const byPath = new Map<string, { raw: string; content: string }>();
  for (const block of blocks) {
    if (block.name === undefined) continue;
    const raw = block.name;
    const name = cleanName(raw);
    if (name.length > maxNameLength) {
      reject(raw, `name longer than ${maxNameLength} characters`);
      continue;
    }
    let path: string;
    try {
      path = safeRelativePath(name);
    } catch (error) {
      reject(raw, (error as Error).message);
      continue;
    }
    if (reserved.has(path.toLowerCase())) {
      reject(raw, `"${path}" is reserved for the generator's own output`);
      continue;
    }
    if (!block.closed) {
      reject(raw, 'the code block is not closed: the reply was cut off');
      continue;
    }
    const earlier = byPath.get(path);
    if (earlier) reject(earlier.raw, 'replaced by a later block with the same name');
    byPath.set(path, { raw, content: block.content });
  }

  const files: ExtractedFile[] = [];
  const taken = new Set<string>();
  const folders = new Set<string>();
  let totalBytes = 0;
  for (const [path, { raw, content }] of byPath) {
    const parents = path
      .split('/')
      .slice(0, -1)
      .map((_, index, parts) => parts.slice(0, index + 1).join('/'));
    const clash = parents.find((parent) => taken.has(parent));
    if (clash !== undefined || folders.has(path)) {
      reject(raw, `conflicts with ${clash !== undefined ? `file "${clash}"` : `folder "${path}"`}`);
      continue;
    }
    if (files.length >= options.maxFiles) {
      reject(raw, `more than ${options.maxFiles} files in one reply`);
      continue;
    }
    const bytes = Buffer.byteLength(content, 'utf8');
    if (totalBytes + bytes > options.maxTotalBytes) {
      reject(raw, `files would exceed ${options.maxTotalBytes} bytes in total`);
      continue;
    }
    totalBytes += bytes;
    taken.add(path);
    for (const parent of parents) folders.add(parent);
    files.push({ path, content, bytes });
  }
  return { files, rejected, rejectedOmitted, blocks: blocks.length };
}

function stripIndent(line: string, indent: number): string {
  let n = 0;
  while (n < indent && line[n] === ' ') n += 1;
  return line.slice(n);
}

/** Quotes, backticks and a leading `./` are not part of a name. */
function cleanName(raw: string): string {
  let name = raw.trim();
  for (let k = 0; k < 3; k += 1) {
    const unwrapped = name.replace(/^(["'`])(.*)\1$/, '$2').trim();
    if (unwrapped === name) break;
    name = unwrapped;
  }
  while (name.startsWith('./')) name = name.slice(2);
  return name;
}

function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}

/** Splits an info string into words, keeping quoted values (title="a b") together. */
function infoWords(info: string): string[] {
  return info.match(/[^\s"']+(?:=(?:"[^"]*"|'[^']*'|\S*))?|"[^"]*"|'[^']*'/g) ?? [];
}

function unquote(value: string): string {
  return value.replace(/^(["'])(.*)\1$/, '$2');
}

function parseInfo(info: string): { lang: string | undefined; name: string | undefined } {
  const words = infoWords(info.trim());
  let lang: string | undefined;
  let name: string | undefined;
  words.forEach((word, index) => {
    const pair = /^([A-Za-z]+)=(.*)$/.exec(word);
    if (pair) {
      const key = pair[1]?.toLowerCase() ?? '';
      const value = unquote(pair[2] ?? '');
      if (name === undefined && NAME_KEYS.has(key) && value !== '') name = value;
      else if (name === undefined && key === 'title' && looksLikePath(value, true)) name = value;
      return;
    }
    const word0 = unquote(word);
    if (index === 0) {
      const langAndPath = /^([\w#+-]+):(.+)$/.exec(word0);
      if (langAndPath && looksLikePath(langAndPath[2] ?? '', true)) {
        lang = langAndPath[1];
        name ??= langAndPath[2];
      } else if (word0.includes('/') || (word0.includes('.') && looksLikePath(word0, false))) {
        name ??= word0;
      } else lang = word0;
      return;
    }
    if (name === undefined && looksLikePath(word0, true)) name = word0;
  });
  return { lang, name };
}

const FIRST_LINE_NAME =
  /^\s*(?:\/\/|#|--|;|<!--|\/\*|\{\/\*)\s*(?:file\s*path|file\s*name|filepath|filename|file|path)\s*:\s*(\S+?)\s*(?:-->|\*\/|\*\/\})?\s*$/i;

function nameFromFirstLine(line: string | undefined): string | undefined {
  if (line === undefined) return undefined;
  return FIRST_LINE_NAME.exec(line)?.[1];
}

const LABEL = /^(?:file\s*name|file\s*path|filename|filepath|file|path)\s*[:=]\s*(.+)$/i;

/** A name from the line before a fence: a heading, bold text, a label or a short sentence. */
function nameFromLine(line: string, lang: string | undefined): string | undefined {
  let text = line
    .trim()
    .replace(/^#{1,6}\s+/, '')
    .replace(/^(?:[-*+]|\d+[.)])\s+/, '');
  text = unwrap(text);
  const labelled = LABEL.exec(text);
  if (labelled) {
    const value = stripTrailer(unwrap(labelled[1] ?? ''));
    return value !== '' && !/\s/.test(value) ? value : undefined;
  }
  const bare = stripTrailer(text);
  if (!/\s/.test(bare) && looksLikePath(bare, false)) return bare;
  // "Create `src/app.ts` with:" names a file; "Run this in `src/`:" does not.
  if (lang !== undefined && SHELL_LANGS.has(lang.toLowerCase())) return undefined;
  if (!/:\s*(?:\*\*|__)?\s*$/.test(line)) return undefined;
  const quoted = [...text.matchAll(/`([^`\s]+)`/g)].map((m) => m[1] ?? '');
  const candidates = quoted.filter((q) => looksLikePath(q, false));
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** Strips emphasis, backticks and a trailing colon around a name, a few layers deep. */
function unwrap(value: string): string {
  let text = value.trim();
  for (let k = 0; k < 4; k += 1) {
    const next = text
      .replace(/:$/, '')
      .replace(/^(\*\*|__)(.*)\1$/, '$2')
      .replace(/^([*_])(.*)\1$/, '$2')
      .replace(/^`(.*)`$/, '$1')
      .trim();
    if (next === text) break;
    text = next;
  }
  return text;
}

/** "src/app.ts (updated)" → "src/app.ts". */
function stripTrailer(value: string): string {
  return unwrap(value.replace(/\s+\([^)]*\)\s*:?$/, '').replace(/\s+[-–—]\s+.*$/, ''));
}

/**
 * Whether a word reads as a file name. `lenient` (a name on the fence itself) accepts any
 * word with a slash or an extension; otherwise an extension must be a known one unless the
 * word has a slash, so that a heading such as "### Summary" or "**Note:**" names nothing.
 */
function looksLikePath(word: string, lenient: boolean): boolean {
  if (word === '' || /\s/.test(word) || /^[a-z]+:\/\//i.test(word) || word.endsWith('/')) {
    return false;
  }
  const base = word.split('/').pop() ?? word;
  if (KNOWN_BARE_NAMES.has(base)) return true;
  if (word.includes('/')) return /[A-Za-z0-9]/.test(base);
  const ext = /\.([A-Za-z0-9]{1,12})$/.exec(base)?.[1];
  if (!ext || !/[A-Za-z]/.test(ext)) return false;
  return lenient || CODE_EXTENSIONS.has(ext.toLowerCase()) || /^\.[A-Za-z0-9]/.test(base);
}
