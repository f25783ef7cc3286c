// The TICKscript editor (CodeMirror 6) with the server's validation error shown
// inline: the character the error names is underlined and the message is
// shown under its line until the text changes.

import { useEffect, useRef } from 'preact/hooks';
import { EditorState, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, EditorView, WidgetType, keymap, type DecorationSet } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { autocompletion, completionKeymap, closeBrackets } from '@codemirror/autocomplete';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
import { tickCompletion, tickLanguage } from '../tickLang';
import type { ScriptErrorPos } from '../tickscript';

const highlight = HighlightStyle.define([
  { tag: t.keyword, color: 'var(--accent)', fontWeight: '600' },
  { tag: t.function(t.variableName), color: '#c084fc' },
  { tag: t.string, color: '#4ed8a0' },
  { tag: t.special(t.variableName), color: '#ffb94a' },
  { tag: t.number, color: '#f472b6' },
  { tag: t.unit, color: '#f472b6' },
  { tag: t.regexp, color: '#2dd4bf' },
  { tag: t.macroName, color: '#60a5fa' },
  { tag: t.comment, color: 'var(--muted)', fontStyle: 'italic' },
  { tag: t.operator, color: 'var(--muted)' },
]);

/** Sets (or clears) the diagnostic shown in the editor. */
const setDiagnostic = StateEffect.define<ScriptErrorPos | null>();

class MessageWidget extends WidgetType {
  constructor(readonly text: string) {
    super();
  }
  eq(other: MessageWidget) {
    return other.text === this.text;
  }
  toDOM() {
    const el = document.createElement('div');
    el.className = 'cm-diagnostic-message';
    el.setAttribute('role', 'alert');
    el.setAttribute('data-testid', 'tick-diagnostic');
    el.textContent = this.text;
    return el;
  }
}

/** Document offsets [from, to) of a 1-based line and character (clamped to the text). */
export function diagnosticRange(state: EditorState, d: ScriptErrorPos): { from: number; to: number; lineEnd: number } {
  const lineNo = Math.min(Math.max(d.line, 1), state.doc.lines);
  const line = state.doc.line(lineNo);
  const from = Math.min(line.from + Math.max(d.char - 1, 0), line.to);
  // Underline the word (or the one character) at the position.
  const rest = line.text.slice(from - line.from);
  const word = rest.match(/^[\w.]+/)?.[0].length ?? 1;
  return { from, to: Math.min(from + Math.max(word, 1), line.to), lineEnd: line.to };
}

const diagnosticField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    for (const e of tr.effects) {
      if (!e.is(setDiagnostic)) continue;
      if (!e.value) return Decoration.none;
      const d = e.value;
      const { from, to, lineEnd } = diagnosticRange(tr.state, d);
      const ranges = [];
      if (to > from) ranges.push(Decoration.mark({ class: 'cm-diagnostic', attributes: { title: d.message, 'data-testid': 'tick-diagnostic-mark' } }).range(from, to));
      ranges.push(
        Decoration.widget({ widget: new MessageWidget(`line ${d.line} char ${d.char}: ${d.message}`), block: true, side: 1 }).range(lineEnd),
      );
      return Decoration.set(ranges, true);
    }
    // Editing the text makes the server's answer stale.
    return tr.docChanged ? Decoration.none : deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

interface Props {
  value: string;
  onChange: (v: string) => void;
  /** The server's error position, shown inline (null clears it). */
  diagnostic: ScriptErrorPos | null;
  onSave?: () => void;
  label: string;
  readOnly?: boolean;
}

/** The editor component. */
export function TickEditor({ value, onChange, diagnostic, onSave, label, readOnly = false }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const cb = useRef({ onChange, onSave });
  cb.current = { onChange, onSave };
  // Texts this editor reported: a `value` among them is our own echo (possibly
  // an older one while keystrokes are in flight) and must not reset the doc —
  // resetting it to a stale echo fought the typing and could hang the page.
  const emitted = useRef(new Set<string>([value]));

  useEffect(() => {
    const extensions: Extension[] = [
      history(),
      closeBrackets(),
      tickLanguage,
      syntaxHighlighting(highlight),
      autocompletion({ override: [tickCompletion] }),
      keymap.of([{ key: 'Mod-s', run: () => (cb.current.onSave?.(), true) }, ...completionKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
      EditorView.contentAttributes.of({ 'aria-label': label }),
      EditorState.readOnly.of(readOnly),
      diagnosticField,
      EditorView.updateListener.of((u) => {
        if (!u.docChanged) return;
        const text = u.state.doc.toString();
        emitted.current.add(text);
        cb.current.onChange(text);
      }),
    ];
    emitted.current = new Set([value]);
    const v = new EditorView({ parent: host.current!, state: EditorState.create({ doc: value, extensions }) });
    view.current = v;
    return () => v.destroy();
  }, [readOnly]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    if (v.state.doc.toString() === value) {
      // Caught up: forget older echoes.
      emitted.current = new Set([value]);
      return;
    }
    if (!emitted.current.has(value)) {
      emitted.current = new Set([value]);
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    v.dispatch({ effects: setDiagnostic.of(diagnostic) });
    if (diagnostic) {
      const { from } = diagnosticRange(v.state, diagnostic);
      v.dispatch({ effects: EditorView.scrollIntoView(from, { y: 'center' }) });
    }
  }, [diagnostic]);

  return <div ref={host} class="tick-editor" data-testid="tick-editor" />;
}
