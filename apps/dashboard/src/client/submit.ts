import { ApiError, type Api } from './api.ts';
import { h, setAttr } from './dom.ts';
import { shortId } from './format.ts';
import { createSchemaForm, FieldError, type SchemaForm } from './schema-form.ts';
import type { GeneratorInfo, JobView } from './types.ts';

export interface SubmitPanelOptions {
  api: Api;
  announce(text: string): void;
  onSubmitted(job: JobView): void;
}

/** "New job": a generator, a priority and the generator's input as a generated form. */
export class SubmitPanel {
  readonly element: HTMLElement;
  private readonly generator: HTMLSelectElement;
  private readonly generatorError: HTMLElement;
  private readonly description: HTMLElement;
  private readonly priority: HTMLSelectElement;
  private readonly priorityError: HTMLElement;
  private readonly asJson: HTMLInputElement;
  private readonly json: HTMLTextAreaElement;
  private readonly jsonError: HTMLElement;
  private readonly fields: HTMLElement;
  private readonly formError: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private generators: GeneratorInfo[] = [];
  private form: SchemaForm | null = null;

  constructor(private readonly options: SubmitPanelOptions) {
    this.generator = h('select', {
      id: 'generator',
      name: 'generator',
      'aria-describedby': 'generator-description generator-error',
    });
    this.generatorError = h('p', { className: 'field-error', id: 'generator-error', hidden: true });
    this.description = h('p', { className: 'hint', id: 'generator-description' });
    this.priority = h(
      'select',
      { id: 'priority', name: 'priority', 'aria-describedby': 'priority-hint priority-error' },
      h('option', { value: '' }, 'Default for my tier'),
      h('option', { value: 'HIGH' }, 'HIGH'),
      h('option', { value: 'NORMAL' }, 'NORMAL'),
      h('option', { value: 'LOW' }, 'LOW'),
    );
    this.priorityError = h('p', { className: 'field-error', id: 'priority-error', hidden: true });
    this.asJson = h('input', { id: 'input-as-json', type: 'checkbox' });
    this.json = h('textarea', {
      id: 'input-json',
      className: 'code',
      rows: 12,
      spellcheck: 'false',
      'aria-describedby': 'input-json-error',
    });
    this.jsonError = h('p', { className: 'field-error', id: 'input-json-error', hidden: true });
    this.fields = h('div', { className: 'generated-fields' });
    this.formError = h('div', {
      className: 'form-error',
      role: 'alert',
      tabindex: -1,
      hidden: true,
    });
    this.submit = h('button', { type: 'submit', className: 'primary' }, 'Submit job');

    const jsonField = h(
      'div',
      { className: 'field json-field', hidden: true },
      h('label', { for: 'input-json' }, 'Input (JSON)'),
      this.json,
      this.jsonError,
    );
    this.asJson.addEventListener('change', () => this.toggleJson(jsonField));
    this.generator.addEventListener('change', () => this.showGenerator());

    const form = h(
      'form',
      { className: 'submit-form', noValidate: true },
      h(
        'div',
        { className: 'field' },
        h('label', { for: 'generator' }, 'Generator'),
        this.generator,
        this.description,
        this.generatorError,
      ),
      h(
        'div',
        { className: 'field' },
        h('label', { for: 'priority' }, 'Priority'),
        this.priority,
        h(
          'p',
          { className: 'hint', id: 'priority-hint' },
          'Your tier sets the highest you may ask for.',
        ),
        this.priorityError,
      ),
      h(
        'div',
        { className: 'field field-inline' },
        this.asJson,
        h('label', { for: 'input-as-json' }, 'Edit the input as JSON'),
      ),
      this.fields,
      jsonField,
      this.formError,
      h('div', { className: 'actions' }, this.submit),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
    this.element = h(
      'section',
      { className: 'panel', 'aria-labelledby': 'submit-heading' },
      h('h2', { id: 'submit-heading' }, 'New job'),
      form,
    );
  }

  async load(): Promise<void> {
    try {
      this.generators = (await this.options.api.generators()).generators;
    } catch (error) {
      this.showFormError([`Could not load the generators: ${(error as Error).message}`]);
      return;
    }
    this.generator.replaceChildren(
      ...this.generators.map((g) =>
        h('option', { value: g.name }, g.requires_gpu ? `${g.name} (GPU)` : g.name),
      ),
    );
    this.showGenerator();
  }

  private current(): GeneratorInfo | undefined {
    return this.generators.find((g) => g.name === this.generator.value);
  }

  private showGenerator(): void {
    const generator = this.current();
    this.clearErrors();
    this.description.textContent = generator?.description ?? '';
    this.form = generator ? createSchemaForm(generator.input_schema) : null;
    this.fields.replaceChildren(this.form?.element ?? '');
    if (this.asJson.checked) this.json.value = '{}';
  }

  private toggleJson(jsonField: HTMLElement): void {
    this.clearErrors();
    if (this.asJson.checked) {
      let value: unknown = {};
      try {
        value = this.form?.value() ?? {};
      } catch {
        // a field holds broken JSON: start from what the other fields say
      }
      this.json.value = JSON.stringify(value, null, 2);
      this.fields.hidden = true;
      jsonField.hidden = false;
    } else {
      try {
        const value = this.json.value.trim() ? (JSON.parse(this.json.value) as unknown) : {};
        this.form?.setValue(value);
      } catch {
        // keep the form as it was
      }
      this.fields.hidden = false;
      jsonField.hidden = true;
    }
  }

  private clearErrors(): void {
    this.form?.clearErrors();
    for (const [element, control] of [
      [this.generatorError, this.generator],
      [this.priorityError, this.priority],
      [this.jsonError, this.json],
    ] as const) {
      element.hidden = true;
      element.textContent = '';
      setAttr(control, 'aria-invalid', null);
    }
    this.showFormError([]);
  }

  private showFormError(lines: string[]): void {
    this.formError.replaceChildren(...lines.map((line) => h('p', {}, line)));
    this.formError.hidden = lines.length === 0;
  }

  private fieldError(element: HTMLElement, control: HTMLElement, message: string): void {
    element.textContent = message;
    element.hidden = false;
    setAttr(control, 'aria-invalid', 'true');
  }

  private readInput(): Record<string, unknown> | null {
    if (this.asJson.checked) {
      try {
        const value = JSON.parse(this.json.value || '{}') as unknown;
        if (!value || typeof value !== 'object' || Array.isArray(value)) {
          throw new Error('expected a JSON object');
        }
        return value as Record<string, unknown>;
      } catch (error) {
        this.fieldError(
          this.jsonError,
          this.json,
          `Not a JSON object: ${(error as Error).message}`,
        );
        this.json.focus();
        return null;
      }
    }
    try {
      return this.form?.value() ?? {};
    } catch (error) {
      if (error instanceof FieldError) {
        this.form?.showErrors([{ path: error.path, message: error.message }]);
        this.form?.focusFirstError();
        return null;
      }
      throw error;
    }
  }

  private async send(): Promise<void> {
    this.clearErrors();
    const generator = this.current();
    if (!generator) return;
    const input = this.readInput();
    if (!input) return;
    this.submit.disabled = true;
    try {
      const job = await this.options.api.submitJob({
        generator: generator.name,
        input,
        ...(this.priority.value ? { priority: this.priority.value } : {}),
      });
      this.options.onSubmitted(job);
      this.options.announce(`Submitted ${generator.name} job ${shortId(job.id)}.`);
    } catch (error) {
      this.showApiError(error);
    } finally {
      this.submit.disabled = false;
    }
  }

  private showApiError(error: unknown): void {
    if (!(error instanceof ApiError)) {
      this.showFormError([`Could not submit: ${String(error)}`]);
      return;
    }
    const rest: string[] = [];
    const inputDetails = [];
    for (const detail of error.details) {
      if (detail.path === 'priority') {
        this.fieldError(this.priorityError, this.priority, detail.message);
      } else if (detail.path === 'generator') {
        this.fieldError(this.generatorError, this.generator, detail.message);
      } else if (this.asJson.checked && detail.path.startsWith('input')) {
        rest.push(`${detail.path}: ${detail.message}`);
      } else {
        inputDetails.push(detail);
      }
    }
    const unmatched = this.form?.showErrors(inputDetails) ?? inputDetails;
    rest.push(...unmatched.map((d) => `${d.path ? `${d.path}: ` : ''}${d.message}`));
    const retry = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : '';
    this.showFormError([`${error.message}.${retry}`, ...rest]);
    if (this.asJson.checked && rest.length > 0) {
      this.fieldError(this.jsonError, this.json, 'See the errors below.');
    }
    const invalid = this.element.querySelector<HTMLElement>('[aria-invalid="true"]');
    (invalid ?? this.formError).focus();
  }
}
