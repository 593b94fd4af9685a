// A form generated from a generator's input JSON Schema (as zod writes it). Scalars, enums,
// objects, arrays and discriminated unions (oneOf objects told apart by a `const` property)
// get real inputs; whatever else (e.g. "boolean or number") is edited as JSON. Every control
// knows its request path (`input.tables.0.name`), so the API's validation details can be shown
// next to the field they name.
import { h, setAttr, uid } from './dom.ts';
import type { JsonSchema } from './types.ts';

/** A value the browser could not even turn into JSON (reported at its field). */
export class FieldError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Control {
  element: HTMLElement;
  /** The value to send; undefined leaves the field out of the request. */
  value(): unknown;
  setValue(value: unknown): void;
  /** Request path, dot-separated. */
  path(): string;
  setErrors(messages: string[]): void;
  children(): Control[];
  focus(): void;
}

type PathFn = () => string;
const join = (parent: PathFn, key: string | number): PathFn => {
  return () => {
    const base = parent();
    return base ? `${base}.${key}` : String(key);
  };
};

const typesOf = (schema: JsonSchema): string[] =>
  Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];

const isPrimitive = (schema: JsonSchema): boolean =>
  typesOf(schema).length > 0 &&
  typesOf(schema).every((t) => ['string', 'number', 'integer', 'boolean', 'null'].includes(t));

/** The values an option takes at a property: its `const`, or each string of its `enum`. */
function tagsOf(option: JsonSchema, key: string): string[] | null {
  const property = option.properties?.[key];
  if (typeof property?.const === 'string') return [property.const];
  if (property?.enum?.length && property.enum.every((v) => typeof v === 'string')) {
    return property.enum as string[];
  }
  return null;
}

/**
 * The property that tells a oneOf's object options apart: every option fixes it (`const`, or
 * an `enum` for options that share a shape) and no value belongs to two options.
 */
export function discriminatorOf(options: JsonSchema[]): string | null {
  const first = options[0]?.properties;
  if (!first || options.length < 2) return null;
  for (const key of Object.keys(first)) {
    const tags = options.map((o) => tagsOf(o, key));
    if (tags.some((t) => t === null)) continue;
    const all = tags.flatMap((t) => t ?? []);
    if (new Set(all).size === all.length) return key;
  }
  return null;
}

interface FieldShell {
  wrapper: HTMLElement;
  errorSlot: HTMLElement;
  describedBy: string;
  setErrors(messages: string[]): void;
}

function shell(
  id: string,
  label: string,
  schema: JsonSchema,
  required: boolean,
  control: HTMLElement,
  options: { inline?: boolean } = {},
): FieldShell {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const hint = schema.description
    ? h('p', { className: 'hint', id: hintId }, schema.description)
    : null;
  const errorSlot = h('p', { className: 'field-error', id: errorId, hidden: true });
  const describedBy = [hint ? hintId : null, errorId].filter(Boolean).join(' ');
  setAttr(control, 'aria-describedby', describedBy);
  // Screen readers announce aria-required; the visible mark stays out of the field's name.
  if (required) setAttr(control, 'aria-required', 'true');
  const labelElement = h(
    'label',
    { for: id },
    h('span', { className: 'field-name' }, label),
    required ? h('span', { className: 'required', 'aria-hidden': 'true' }, ' required') : null,
  );
  const wrapper = h(
    'div',
    { className: options.inline ? 'field field-inline' : 'field' },
    options.inline ? [control, labelElement] : [labelElement, control],
    hint,
    errorSlot,
  );
  return {
    wrapper,
    errorSlot,
    describedBy,
    setErrors(messages) {
      errorSlot.textContent = messages.join('; ');
      errorSlot.hidden = messages.length === 0;
      setAttr(control, 'aria-invalid', messages.length ? 'true' : null);
    },
  };
}

function placeholderFor(schema: JsonSchema): string | null {
  if (schema.default !== undefined && typeof schema.default !== 'object') {
    return `default: ${String(schema.default)}`;
  }
  return null;
}

function enumControl(schema: JsonSchema, label: string, path: PathFn, required: boolean): Control {
  const id = uid('f');
  const values = schema.enum ?? [];
  const select = h('select', { id, name: label });
  if (!required || schema.default !== undefined) {
    const note = schema.default !== undefined ? `default (${String(schema.default)})` : 'not set';
    select.append(h('option', { value: '' }, note));
  }
  values.forEach((v, index) => select.append(h('option', { value: String(index) }, String(v))));
  const field = shell(id, label, schema, required, select);
  return {
    element: field.wrapper,
    value: () => (select.value === '' ? undefined : values[Number(select.value)]),
    setValue(value) {
      const index = values.findIndex((v) => v === value);
      select.value = index < 0 ? '' : String(index);
    },
    path,
    setErrors: field.setErrors,
    children: () => [],
    focus: () => select.focus(),
  };
}

function stringControl(
  schema: JsonSchema,
  label: string,
  path: PathFn,
  required: boolean,
): Control {
  const id = uid('f');
  const long = (schema.maxLength ?? 0) > 500;
  const input = long
    ? h('textarea', { id, name: label, rows: 4 })
    : h('input', { id, name: label, type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const placeholder = placeholderFor(schema);
  if (placeholder) input.placeholder = placeholder;
  const field = shell(id, label, schema, required, input);
  return {
    element: field.wrapper,
    value: () => (input.value === '' ? undefined : input.value),
    setValue(value) {
      input.value = typeof value === 'string' ? value : '';
    },
    path,
    setErrors: field.setErrors,
    children: () => [],
    focus: () => input.focus(),
  };
}

function numberControl(
  schema: JsonSchema,
  label: string,
  path: PathFn,
  required: boolean,
): Control {
  const id = uid('f');
  const integer = typesOf(schema).includes('integer');
  const input = h('input', {
    id,
    name: label,
    type: 'number',
    inputmode: integer ? 'numeric' : 'decimal',
    step: integer ? 1 : 'any',
    min: schema.minimum ?? null,
    max: schema.maximum !== undefined && schema.maximum < 1e15 ? schema.maximum : null,
  });
  const placeholder = placeholderFor(schema);
  if (placeholder) input.placeholder = placeholder;
  const field = shell(id, label, schema, required, input);
  return {
    element: field.wrapper,
    value() {
      if (input.value.trim() === '') {
        if (input.validity.badInput) throw new FieldError(path(), 'not a number');
        return undefined;
      }
      return Number(input.value);
    },
    setValue(value) {
      input.value = typeof value === 'number' ? String(value) : '';
    },
    path,
    setErrors: field.setErrors,
    children: () => [],
    focus: () => input.focus(),
  };
}

function booleanControl(
  schema: JsonSchema,
  label: string,
  path: PathFn,
  required: boolean,
): Control {
  const id = uid('f');
  const fallback = schema.default === true;
  const input = h('input', { id, name: label, type: 'checkbox' });
  input.checked = fallback;
  const field = shell(id, label, schema, required, input, { inline: true });
  return {
    element: field.wrapper,
    // Left at its default, a checkbox is not sent: the request stays as small as the user's intent.
    value: () => (required || input.checked !== fallback ? input.checked : undefined),
    setValue(value) {
      input.checked = typeof value === 'boolean' ? value : fallback;
    },
    path,
    setErrors: field.setErrors,
    children: () => [],
    focus: () => input.focus(),
  };
}

/** Anything the form has no widget for: a JSON value in a textarea. */
function jsonControl(schema: JsonSchema, label: string, path: PathFn, required: boolean): Control {
  const id = uid('f');
  const scalar = (schema.anyOf ?? schema.oneOf ?? []).every(isPrimitive);
  const input = scalar
    ? h('input', { id, name: label, type: 'text', autocomplete: 'off', spellcheck: 'false' })
    : h('textarea', { id, name: label, rows: 5, spellcheck: 'false', className: 'code' });
  input.placeholder =
    schema.default !== undefined ? `default: ${JSON.stringify(schema.default)}` : 'JSON';
  const field = shell(
    id,
    label,
    {
      ...schema,
      description: `${schema.description ? `${schema.description} ` : ''}(JSON)`,
    },
    required,
    input,
  );
  return {
    element: field.wrapper,
    value() {
      const text = input.value.trim();
      if (text === '') return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new FieldError(path(), 'is not valid JSON');
      }
    },
    setValue(value) {
      input.value = value === undefined ? '' : JSON.stringify(value, null, scalar ? 0 : 2);
    },
    path,
    setErrors: field.setErrors,
    children: () => [],
    focus: () => input.focus(),
  };
}

function objectControl(
  schema: JsonSchema,
  label: string | null,
  path: PathFn,
  required: boolean,
  skip: string | null = null,
): Control {
  const properties = Object.entries(schema.properties ?? {}).filter(([key]) => key !== skip);
  const requiredKeys = new Set(schema.required ?? []);
  const controls = properties.map(([key, child]) => ({
    key,
    control: buildControl(child, key, join(path, key), requiredKeys.has(key)),
  }));
  const errorSlot = h('p', { className: 'field-error', hidden: true, role: 'alert' });
  const body = controls.map((c) => c.control.element);
  const element = label
    ? h(
        'fieldset',
        { className: 'group' },
        h('legend', {}, label, required ? h('span', { className: 'required' }, ' required') : null),
        schema.description ? h('p', { className: 'hint' }, schema.description) : null,
        body,
        errorSlot,
      )
    : h('div', { className: 'group-root' }, body, errorSlot);
  return {
    element,
    value() {
      const result: Record<string, unknown> = {};
      for (const { key, control } of controls) {
        const value = control.value();
        if (value !== undefined) result[key] = value;
      }
      return Object.keys(result).length === 0 && !required ? undefined : result;
    },
    setValue(value) {
      const record = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
      for (const { key, control } of controls) control.setValue(record[key]);
    },
    path,
    setErrors(messages) {
      errorSlot.textContent = messages.join('; ');
      errorSlot.hidden = messages.length === 0;
    },
    children: () => controls.map((c) => c.control),
    focus: () => controls[0]?.control.focus(),
  };
}

/** oneOf objects told apart by a property: a select for it, then the chosen option's fields. */
function variantControl(
  options: JsonSchema[],
  key: string,
  schema: JsonSchema,
  label: string,
  path: PathFn,
  required: boolean,
): Control {
  const id = uid('f');
  const entries = options.flatMap((option) =>
    (tagsOf(option, key) ?? []).map((tag) => ({ tag, option })),
  );
  const select = h('select', { id, name: `${label}.${key}` });
  entries.forEach(({ tag, option }, index) => {
    select.append(h('option', { value: String(index), title: option.description ?? null }, tag));
  });
  const keyField = shell(id, key, {}, true, select);
  const note = h('p', { className: 'hint' });
  const holder = h('div', { className: 'variant-body' });
  const entry = () => entries[Number(select.value)] ?? entries[0]!;
  let current: Control;
  const rebuild = (): void => {
    const { option } = entry();
    current = objectControl(option, null, path, true, key);
    holder.replaceChildren(current.element);
    note.textContent = option.description ?? '';
  };
  rebuild();
  select.addEventListener('change', rebuild);
  const keyControl: Control = {
    element: keyField.wrapper,
    value: () => entry().tag,
    setValue: () => undefined,
    path: join(path, key),
    setErrors: keyField.setErrors,
    children: () => [],
    focus: () => select.focus(),
  };
  const element = h(
    'fieldset',
    { className: 'group variant' },
    h('legend', {}, label, required ? h('span', { className: 'required' }, ' required') : null),
    schema.description ? h('p', { className: 'hint' }, schema.description) : null,
    keyField.wrapper,
    note,
    holder,
  );
  return {
    element,
    value() {
      const rest = current.value() as Record<string, unknown> | undefined;
      return { [key]: entry().tag, ...(rest ?? {}) };
    },
    setValue(value) {
      const record = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
      const index = entries.findIndex((e) => e.tag === record[key]);
      select.value = String(Math.max(0, index));
      rebuild();
      current.setValue(record);
    },
    path,
    setErrors: (messages) => current.setErrors(messages),
    children: () => [keyControl, current],
    focus: () => select.focus(),
  };
}

function arrayControl(
  schema: JsonSchema,
  itemSchema: JsonSchema,
  label: string,
  path: PathFn,
  required: boolean,
): Control {
  const items: { control: Control; row: HTMLElement }[] = [];
  const list = h('ol', { className: 'array-items' });
  const errorSlot = h('p', { className: 'field-error', hidden: true, role: 'alert' });
  const addButton = h(
    'button',
    { type: 'button', className: 'secondary small' },
    `Add ${label} item`,
  );
  const updateButtons = (): void => {
    addButton.disabled = schema.maxItems !== undefined && items.length >= schema.maxItems;
    items.forEach((item, index) => {
      const remove = item.row.querySelector<HTMLButtonElement>('.remove-item');
      if (remove) remove.setAttribute('aria-label', `Remove ${label} item ${index + 1}`);
      const heading = item.row.querySelector('.item-heading');
      if (heading) heading.textContent = `${label} ${index + 1}`;
    });
  };
  const add = (): Control => {
    const row = h('li', { className: 'array-item' });
    // The item's index, hence its path, changes when an earlier item is removed.
    const indexPath = (): string => `${path()}.${items.findIndex((item) => item.row === row)}`;
    const entry = {
      row,
      control: buildControl(itemSchema, `${label} item`, indexPath, true, { bare: true }),
    };
    const remove = h(
      'button',
      { type: 'button', className: 'secondary small remove-item' },
      'Remove',
    );
    remove.addEventListener('click', () => {
      const index = items.indexOf(entry);
      items.splice(index, 1);
      entry.row.remove();
      updateButtons();
      (items[index] ?? items[index - 1])?.control.focus();
      if (items.length === 0) addButton.focus();
    });
    entry.row.append(
      h('div', { className: 'item-bar' }, h('span', { className: 'item-heading' }), remove),
      entry.control.element,
    );
    items.push(entry);
    list.append(entry.row);
    updateButtons();
    return entry.control;
  };
  addButton.addEventListener('click', () => add().focus());
  const element = h(
    'fieldset',
    { className: 'group array' },
    h('legend', {}, label, required ? h('span', { className: 'required' }, ' required') : null),
    schema.description ? h('p', { className: 'hint' }, schema.description) : null,
    list,
    addButton,
    errorSlot,
  );
  return {
    element,
    value() {
      if (items.length === 0) return required ? [] : undefined;
      return items.map((item) => item.control.value() ?? {});
    },
    setValue(value) {
      items.splice(0).forEach((item) => item.row.remove());
      if (Array.isArray(value)) for (const v of value) add().setValue(v);
      updateButtons();
    },
    path,
    setErrors(messages) {
      errorSlot.textContent = messages.join('; ');
      errorSlot.hidden = messages.length === 0;
    },
    children: () => items.map((item) => item.control),
    focus: () => (items[0]?.control ?? { focus: () => addButton.focus() }).focus(),
  };
}

/** Builds the control for one schema node; `label` is the property name. */
export function buildControl(
  schema: JsonSchema,
  label: string,
  path: PathFn,
  required: boolean,
  options: { bare?: boolean } = {},
): Control {
  const types = typesOf(schema);
  if (Array.isArray(schema.enum) && schema.enum.every((v) => v === null || typeof v !== 'object')) {
    return enumControl(schema, label, path, required);
  }
  const union = schema.oneOf ?? schema.anyOf;
  if (union) {
    const key = union.every((o) => typesOf(o).includes('object')) ? discriminatorOf(union) : null;
    if (key) return variantControl(union, key, schema, label, path, required);
    return jsonControl(schema, label, path, required);
  }
  if (types.length === 1) {
    switch (types[0]) {
      case 'string':
        return stringControl(schema, label, path, required);
      case 'integer':
      case 'number':
        return numberControl(schema, label, path, required);
      case 'boolean':
        return booleanControl(schema, label, path, required);
      case 'object':
        if (schema.properties && Object.keys(schema.properties).length > 0) {
          return objectControl(schema, options.bare ? null : label, path, required);
        }
        break;
      case 'array':
        if (schema.items) return arrayControl(schema, schema.items, label, path, required);
        break;
    }
  }
  return jsonControl(schema, label, path, required);
}

export interface SchemaForm {
  element: HTMLElement;
  /** The input object; throws FieldError when a field holds no valid JSON. */
  value(): Record<string, unknown>;
  setValue(value: unknown): void;
  /** Shows API details next to their fields; returns those that matched no field. */
  showErrors(details: { path: string; message: string }[]): { path: string; message: string }[];
  clearErrors(): void;
  /** Focuses the first field showing an error. */
  focusFirstError(): void;
}

function allControls(control: Control): Control[] {
  return [control, ...control.children().flatMap(allControls)];
}

/** Which control a detail path belongs to: the deepest whose path is a prefix of it. */
export function matchPath(paths: string[], detailPath: string): string | null {
  let best: string | null = null;
  for (const candidate of paths) {
    const prefix =
      candidate === '' || detailPath === candidate || detailPath.startsWith(`${candidate}.`);
    if (prefix && (best === null || candidate.length > best.length)) best = candidate;
  }
  return best;
}

/** The form for a generator's whole input (`input.*` paths). */
export function createSchemaForm(schema: JsonSchema): SchemaForm {
  const root =
    schema.properties && Object.keys(schema.properties).length > 0
      ? objectControl(schema, null, () => 'input', true)
      : jsonControl(schema, 'input', () => 'input', true);
  let withErrors: Control[] = [];
  const clearErrors = (): void => {
    for (const control of withErrors) control.setErrors([]);
    withErrors = [];
  };
  return {
    element: root.element,
    value: () => (root.value() ?? {}) as Record<string, unknown>,
    setValue: (value) => root.setValue(value),
    showErrors(details) {
      clearErrors();
      const controls = allControls(root);
      const byPath = new Map(controls.map((c) => [c.path(), c]));
      const grouped = new Map<Control, string[]>();
      const unmatched: { path: string; message: string }[] = [];
      for (const detail of details) {
        const match = matchPath([...byPath.keys()], detail.path);
        const control = match === null ? undefined : byPath.get(match);
        if (!control) {
          unmatched.push(detail);
          continue;
        }
        const rest = match ? detail.path.slice(match.length + 1) : detail.path;
        const list = grouped.get(control) ?? [];
        list.push(rest ? `${rest}: ${detail.message}` : detail.message);
        grouped.set(control, list);
      }
      for (const [control, messages] of grouped) {
        control.setErrors(messages);
        withErrors.push(control);
      }
      return unmatched;
    },
    clearErrors,
    focusFirstError() {
      const first = root.element.querySelector<HTMLElement>('[aria-invalid="true"]');
      if (first) first.focus();
      else withErrors[0]?.focus();
    },
  };
}
