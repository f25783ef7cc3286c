// The InfluxQL editor (CodeMirror 6): highlighting, completion, Ctrl/Cmd-Enter runs.

import { useEffect, useRef } from 'preact/hooks';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder as cmPlaceholder } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { autocompletion, completionKeymap, closeBrackets } from '@codemirror/autocomplete';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
import { influxqlCompletion, influxqlLanguage, type SchemaNames } from '../influxqlLang';

const highlight = HighlightStyle.define([
  { tag: t.keyword, color: 'var(--accent)', fontWeight: '600' },
  { tag: t.function(t.variableName), color: '#c084fc' },
  { tag: t.string, color: '#4ed8a0' },
  { tag: t.special(t.variableName), color: '#ffb94a' },
  { tag: t.number, color: '#f472b6' },
  { tag: t.unit, color: '#f472b6' },
  { tag: t.regexp, color: '#2dd4bf' },
  { tag: t.macroName, color: '#fb923c', fontStyle: 'italic' },
  { tag: t.comment, color: 'var(--muted)', fontStyle: 'italic' },
  { tag: t.operator, color: 'var(--muted)' },
]);

interface Props {
  value: string;
  onChange: (v: string) => void;
  onRun?: () => void;
  schema?: () => SchemaNames;
  label: string;
  placeholder?: string;
}

/** The editor component (uncontrolled CodeMirror kept in sync with `value`). */
export function Editor({ value, onChange, onRun, schema, label, placeholder }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const cb = useRef({ onChange, onRun, schema });
  cb.current = { onChange, onRun, schema };

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          history(),
          closeBrackets(),
          influxqlLanguage,
          syntaxHighlighting(highlight),
          autocompletion({
            override: [influxqlCompletion(() => cb.current.schema?.() ?? { measurements: [], tagKeys: [], fieldKeys: [] })],
          }),
          keymap.of([
            { key: 'Mod-Enter', run: () => (cb.current.onRun?.(), true) },
            ...completionKeymap,
            ...defaultKeymap,
            ...historyKeymap,
          ]),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': label }),
          cmPlaceholder(placeholder ?? ''),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) cb.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  return <div ref={host} data-testid="editor" />;
}
