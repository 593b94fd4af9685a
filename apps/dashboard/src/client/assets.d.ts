// esbuild's `file` loader: importing an asset gives its public URL (/assets/<name>-<hash>.<ext>).
declare module '*.svg' {
  const url: string;
  export default url;
}
