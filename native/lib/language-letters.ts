// The letters each of Parakeet v3's 25 languages writes, for its language lock (language-lock.ts): CLDR's exemplar
// characters, copied as they are from the Unicode CLDR's JSON (npm package cldr-misc-full 48.2.0,
// main/<code>/characters.json: exemplarCharacters, the language's own letters, and auxiliary, those its text uses in
// loanwords and names, e.g. English "café", "naïve"). UnicodeSet notation: letters with a space between groups,
// {…} a sequence written together. Copyright © 2004-2026 Unicode, Inc.; Unicode License V3, whose text is
// language-letters.LICENSE beside this file.

/** A language's CLDR exemplar sets, by ISO 639-1 code. */
export const LANGUAGE_LETTERS: Readonly<Record<string, { main: string; auxiliary: string }>> = {
  bg: {
    main: "[а б в г д е ж з и й к л м н о п р с т у ф х ц ч ш щ ъ ь ю я]",
    auxiliary: "[{а̀} ѐё ѝ {о̀} {у̀} {ъ̀} ы ѣ э {ю̀} {я̀} ѫ]",
  },
  cs: {
    main: "[aá b c č dď eéě f g h {ch} ií j k l m nň oó p q r ř s š tť uúů v w x yý z ž]",
    auxiliary: "[àăâåäãā æ ç èĕêëē ìĭîïī ľł ñ òŏôöøō œ ŕ ùŭûüū ÿ]",
  },
  da: {
    main: "[a b c d e f g h i j k l m n o p q r s t u v w x y z æ ø å]",
    auxiliary: "[áàâ ç éèêë íîï ñ óô œ úùû ÿü ä ǿö]",
  },
  de: {
    main: "[aä b c d e f g h i j k l m n oö p q r s ß t uü v w x y z]",
    auxiliary: "[áàăâåãā æ ç éèĕêëē ğ íìĭîïİī ı ñ óòŏôøō œ ş úùŭûū ÿ]",
  },
  el: {
    main: "[αά β γ δ εέ ζ ηή θ ιίϊΐ κ λ μ ν ξ οό π ρ σς τ υύϋΰ φ χ ψ ωώ]",
    auxiliary: "[ἀἄἂἆἁἅἃἇὰᾶ ἐἔἒἑἕἓὲ ἠἤἢἦἡἥἣἧὴῆ ἰἴἲἶἱἵἳἷὶῖῒῗ ὄὂὃὸ ὐὔὒὖὑὕὓὗὺῦῢῧ ὤὢὦὥὣὧὼῶ]",
  },
  en: {
    main: "[a b c d e f g h i j k l m n o p q r s t u v w x y z]",
    auxiliary: "[áàăâåäãā æ ç éèĕêëē íìĭîïī ñ óòŏôöøō œ úùŭûüū ÿ]",
  },
  es: {
    main: "[aá b c d eé f g h ií j k l m n ñ oó p q r s t uúü v w x y z]",
    auxiliary: "[ªàăâåäãā æ ç èĕêëē ìĭîïī ºòŏôöøō œ ùŭûū ýÿ]",
  },
  et: {
    main: "[a b c d e f g h i j k l m n o p q r s š z ž t u v w õ ä ö ü x y]",
    auxiliary: "[áàâåãā æ ç éèêëē íìîïī ñ óòŏôøō œ úùûū]",
  },
  fi: {
    main: "[a b c d e f g h i j k l m n o p q r sš t u v w x y zž å ä ö]",
    auxiliary:
      "[áàăâãąā ćčċç ďð đ éèêěëėęē ğǧģ ǥ ȟħ íîïİįī ı ǩķ ĺľļł ńňñņ ŋ óòôőõ œ ŕř śŝşș ß ťţț ŧ úùûůűųū ýÿü źż ʒǯ þ æ ø]",
  },
  fr: {
    main: "[aàâ æ b cç d eéèêë f g h iîï j k l m n oô œ p q r s t uùûü v w x yÿ z]",
    auxiliary: "[áåäãā ć ē íìī ĳ ñ óòöõø ř šſ ß úǔ]",
  },
  hr: {
    main: "[a b c č ć d {dž} đ e f g h i j k l {lj} m n {nj} o p r s š t u v z ž]",
    auxiliary: "[q w x y]",
  },
  hu: {
    main: "[aá b c {cs} {ccs} d {dz} {ddz} {dzs} {ddzs} eé f g {gy} {ggy} h ií j k l {ly} {lly} m n {ny} {nny} oó öő p r s {sz} {ssz} t {ty} {tty} uú üű v z {zs} {zzs}]",
    auxiliary: "[àăâåäãā æ ç èĕêëē ìĭîïī ñ òŏôøō œ q ùŭûū w x yÿ]",
  },
  it: {
    main: "[aà b c d eéè f g h iì j k l m n oò p q r s t uù v w x y z]",
    auxiliary: "[ªáâåäã æ ç êë íîï ñ ºóôöõø œ ß úûü ÿ]",
  },
  lt: {
    main: "[aą b c č d eęė f g h iįy j k l m n o p r s š t uųū v z ž]",
    auxiliary:
      "[áàã{ą́}{ą̃} {ch} {dz} {dž} éèẽ{ę́}{ę̃}{ė́}{ė̃} í{i̇́}ì{i̇̀}ĩ{i̇̃}{į́}{į̇́}{į̃}{į̇̃} {j̃}{j̇̃} {l̃} {m̃} ñ óòõ q {r̃} úùũ{ų́}{ų̃}{ū́}{ū̃} w x]",
  },
  lv: {
    main: "[a ā b c č d e ē f g ģ h i ī j k ķ l ļ m n ņ o p r s š t u ū v z ž]",
    auxiliary: "[y ō q ŗ w x]",
  },
  mt: {
    main: "[aà b ċ d eè f ġ g {għ} h ħ iì j k l m n oò p q r s t uù v w x ż z]",
    auxiliary: "[c y]",
  },
  nl: {
    main: "[aáä b c d eéë f g h iíï {ij}{íj́} j k l m n oóö p q r s t uúü v w x y z]",
    auxiliary: "[àâåã æ ç èê î ñ ôø œ ùû ýÿ]",
  },
  pl: {
    main: "[a ą b c ć d e ę f g h i j k l ł m n ń o ó p r s ś t u w y z ź ż]",
    auxiliary: "[àâåä æ ç éèêë îï ôö œ q ß ùûü v x ÿ]",
  },
  pt: {
    main: "[aáàâã b cç d eéê f g h ií j k l m n oóòôõ p q r s t uú v w x y z]",
    auxiliary: "[ªăåäā æ èĕëē ìĭîïī ñ ºŏöøō œ ùŭûüū ÿ]",
  },
  ro: {
    main: "[a ă â b c d e f g h i î j k l m n o p q r s ș t ț u v w x y z]",
    auxiliary: "[áàåä ç éèêë ñ ö ş ţ ü]",
  },
  ru: {
    main: "[а б в г д её ж з и й к л м н о п р с т у ф х ц ч ш щ ъ ы ь э ю я]",
    auxiliary: "[{а́} {е́} {и́} {о́} {у́} {ы́} {э́} {ю́} {я́}]",
  },
  sk: {
    main: "[aá ä b c č dď {dz} {dž} eé f g h {ch} ií j k lĺľ m nň oó ô p q rŕ s š tť uú v w x yý z ž]",
    auxiliary: "[àăâåā æ ç èĕêëē ìĭîïī ñ òŏöőøō œ ř ùŭûüűū ÿ]",
  },
  sl: {
    main: "[a b c č d e f g h i j k l m n o p r s š t u v z ž]",
    auxiliary: "[áàăâåäā æ ç ć đ éèĕêëē íìĭîïī ñ óòŏôöøō œ q úùŭûüū w x yÿ]",
  },
  sv: {
    main: "[aà b c d eé f g h i j k l m n o p q r s t u v w x y z å ä ö]",
    auxiliary: "[áâãā ç èë íîïī ñ ó ú ÿü æ ø]",
  },
  uk: {
    main: "[а б в г ґ д е є ж з и і ї й к л м н о п р с т у ф х ц ч ш щ ь ю я ʼ]",
    auxiliary: "[{а́} {е́}ё {є́} {и́} {і́} {ї́} {о́} {у́} ъ ы э {ю́} {я́}]",
  },
};
