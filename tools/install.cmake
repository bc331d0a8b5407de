# install.cmake - what `cmake --install` puts where (SPEC 7.1, issue 14).
# GNU install directories; prefix /usr/local by default, /usr for the
# Debian package (tools/debian/build.sh). DESTDIR works for all of it.
#
#   bin/fshare-*                         the programs
#   share/man/man1/fshare-*.1, man5/fshare.conf.5
#   share/bash-completion/completions/   one script, a name per program
#   lib/systemd/system/fshare-broker.service, lib/systemd/user/fshare-peer.service
#   share/doc/fshare/examples/           broker.conf, peer.conf
#   <sysconfdir>/fshare/broker.conf      the unit's config (never overwritten)
include(GNUInstallDirs)

set(FSHARE_SYSTEMD_SYSTEM_DIR "lib/systemd/system" CACHE STRING
    "where the system unit goes (relative to the prefix)")
set(FSHARE_SYSTEMD_USER_DIR "lib/systemd/user" CACHE STRING
    "where the user unit goes (relative to the prefix)")
set(FSHARE_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" CACHE STRING
    "where bash completion goes (relative to the prefix)")

set(FSHARE_PROGRAMS broker peer ctl tap passwd bench web)
set(FSHARE_INSTALLED_PROGRAMS "")
foreach(name ${FSHARE_PROGRAMS})
  if(TARGET fshare-${name})
    list(APPEND FSHARE_INSTALLED_PROGRAMS fshare-${name})
  endif()
endforeach()
install(TARGETS ${FSHARE_INSTALLED_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Man pages and units have the install paths filled in at configure time:
# configure with the prefix you install to (-DCMAKE_INSTALL_PREFIX=/usr).
# Man pages: tools/man/*.in with the version and those paths.
set(MAN_DIR ${CMAKE_BINARY_DIR}/man)
foreach(program ${FSHARE_INSTALLED_PROGRAMS})
  configure_file(${CMAKE_SOURCE_DIR}/tools/man/${program}.1.in ${MAN_DIR}/man1/${program}.1 @ONLY)
  install(FILES ${MAN_DIR}/man1/${program}.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endforeach()
configure_file(${CMAKE_SOURCE_DIR}/tools/man/fshare.conf.5.in ${MAN_DIR}/man5/fshare.conf.5 @ONLY)
install(FILES ${MAN_DIR}/man5/fshare.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

# systemd units
set(UNIT_DIR ${CMAKE_BINARY_DIR}/systemd)
configure_file(${CMAKE_SOURCE_DIR}/tools/systemd/fshare-broker.service.in
               ${UNIT_DIR}/fshare-broker.service @ONLY)
configure_file(${CMAKE_SOURCE_DIR}/tools/systemd/fshare-peer.service.in
               ${UNIT_DIR}/fshare-peer.service @ONLY)
install(FILES ${UNIT_DIR}/fshare-broker.service DESTINATION ${FSHARE_SYSTEMD_SYSTEM_DIR})
install(FILES ${UNIT_DIR}/fshare-peer.service DESTINATION ${FSHARE_SYSTEMD_USER_DIR})

# Bash completion: one script; bash-completion loads it by the command's name.
install(FILES tools/completion/fshare DESTINATION ${FSHARE_COMPLETION_DIR})
foreach(program ${FSHARE_INSTALLED_PROGRAMS})
  install(CODE "file(CREATE_LINK fshare
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${FSHARE_COMPLETION_DIR}/${program}\" SYMBOLIC)")
endforeach()

# Examples, and the broker unit's config unless one is there already.
install(FILES tools/examples/broker.conf tools/examples/peer.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(CODE "
  set(conf \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_SYSCONFDIR}/fshare/broker.conf\")
  if(EXISTS \"\${conf}\")
    message(STATUS \"Kept: \${conf}\")
  else()
    # file(INSTALL) adds DESTDIR itself
    file(INSTALL \"${CMAKE_SOURCE_DIR}/tools/examples/broker.conf\"
         DESTINATION \"${CMAKE_INSTALL_FULL_SYSCONFDIR}/fshare\")
  endif()")
