import type { Faker } from '@faker-js/faker';
import { REFERENCE_DATE } from './limits.ts';

/** The locales @faker-js/faker ships (each falls back to English for what it lacks). */
export const LOCALES = [
  'af_ZA',
  'ar',
  'az',
  'bn_BD',
  'cs_CZ',
  'cy',
  'da',
  'de',
  'de_AT',
  'de_CH',
  'dv',
  'el',
  'en',
  'en_AU',
  'en_AU_ocker',
  'en_BORK',
  'en_CA',
  'en_GB',
  'en_GH',
  'en_HK',
  'en_IE',
  'en_IN',
  'en_NG',
  'en_NP',
  'en_US',
  'en_ZA',
  'eo',
  'es',
  'es_MX',
  'fa',
  'fi',
  'fr',
  'fr_BE',
  'fr_CA',
  'fr_CH',
  'fr_LU',
  'fr_SN',
  'he',
  'hr',
  'hu',
  'hy',
  'id_ID',
  'it',
  'ja',
  'ka_GE',
  'ko',
  'ku_ckb',
  'ku_kmr_latin',
  'lv',
  'mk',
  'mn_MN_cyrl',
  'nb_NO',
  'ne',
  'nl',
  'nl_BE',
  'pl',
  'pt_BR',
  'pt_PT',
  'ro',
  'ro_MD',
  'ru',
  'sk',
  'sl_SI',
  'sr_RS_latin',
  'sv',
  'ta_IN',
  'th',
  'tr',
  'uk',
  'ur',
  'uz_UZ_latin',
  'vi',
  'yo_NG',
  'zh_CN',
  'zh_TW',
  'zu_ZA',
] as const;

export type Locale = (typeof LOCALES)[number];

/**
 * A private Faker for one job. Private because seeding a shared instance would let concurrent
 * jobs in one worker disturb each other's sequences. Only the job's locale is loaded: the
 * package's main entry loads all 70 locales (+30 MB RSS, +0.2 s), so the class is taken from
 * the locale module's instance instead of being imported.
 */
export async function loadFaker(locale: Locale): Promise<Faker> {
  const loaded = (await import(`@faker-js/faker/locale/${locale}`)) as { faker: Faker };
  const FakerClass = loaded.faker.constructor as new (
    options: ConstructorParameters<typeof Faker>[0],
  ) => Faker;
  return new FakerClass({
    locale: loaded.faker.rawDefinitions,
    config: { defaultRefDate: () => new Date(REFERENCE_DATE) },
  });
}
