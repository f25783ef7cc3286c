// The InfluxQL editor (CodeMirror 6): highlighting, completion, Ctrl/Cmd-Enter runs.

import { useEffect, useRef } from 'preact/hooks';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder as cmPlaceholder } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { autocompletion, completionKeymap, closeBrackets } from '@codemirror/autocomplete';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';
import { FLUX_FUNCTIONS, FLUX_KEYWORDS, SQL_KEYWORDS, fluxLanguage, influxqlCompletion, influxqlLanguage, sqlLanguage, type SchemaNames } from '../influxqlLang';

/** Query languages the editor knows. */
export type Language = 'influxql' | 'flux' | 'sql';

const LANGS = {
  influxql: { lang: influxqlLanguage, keywords: undefined, functions: undefined },
  flux: { lang: fluxLanguage, keywords: FLUX_KEYWORDS, functions: FLUX_FUNCTIONS },
  sql: { lang: sqlLanguage, keywords: SQL_KEYWORDS, functions: ['avg', 'count', 'sum', 'min', 'max', 'date_bin', 'date_trunc', 'now'] },
};

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
  language?: Language;
}

/** The editor component (uncontrolled CodeMirror kept in sync with `value`). */
export function Editor({ value, onChange, onRun, schema, label, placeholder, language = 'influxql' }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const cb = useRef({ onChange, onRun, schema });
  // Texts this editor reported: a `value` among them is our own echo (possibly
  // an older one while keystrokes are in flight) and must not reset the doc.
  const emitted = useRef(new Set<string>([value]));
  cb.current = { onChange, onRun, schema };

  useEffect(() => {
    emitted.current = new Set([value]);
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          history(),
          closeBrackets(),
          LANGS[language].lang,
          syntaxHighlighting(highlight),
          autocompletion({
            override: [
              influxqlCompletion(
                () => cb.current.schema?.() ?? { measurements: [], tagKeys: [], fieldKeys: [] },
                LANGS[language].keywords,
                LANGS[language].functions,
              ),
            ],
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
            if (!u.docChanged) return;
            const text = u.state.doc.toString();
            emitted.current.add(text);
            cb.current.onChange(text);
          }),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
  }, [language]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const doc = v.state.doc.toString();
    if (value === doc) {
      // Caught up: forget older echoes.
      emitted.current = new Set([value]);
      return;
    }
    if (!emitted.current.has(value)) {
      emitted.current = new Set([value]);
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  return <div ref={host} data-testid="editor" />;
}
